"""Attacks on the OAuth sign-in, each refused: redirects, codes, PKCE, CSRF, scope, rotation, framing."""

from __future__ import annotations

import time

import pytest

from app.core.oauth.clients import OAuthError
from tests.oauth_flow import REDIRECT, Flow, authorize_path, login_form, pkce, query_of


@pytest.fixture
def oauth_app(make_app, tmp_path):
    return make_app(oauth_enabled=True, oauth_max_scope="res.partner:RW,sale.*:R,*:R",
                    oauth_db=str(tmp_path / "oauth.sqlite3"), revocation_db=str(tmp_path / "revoked.sqlite3"))


@pytest.fixture
def flow(oauth_app, odoo) -> Flow:
    return Flow(oauth_app.test_client(), odoo.url)


def _refused_page(answer, status: int = 400) -> str:
    assert answer.status_code == status and "Location" not in answer.headers
    page = answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/html") and 'id="error"' in page
    return page


@pytest.mark.parametrize("redirect_uri", ["https://evil.example.com/cb", REDIRECT + "/../evil",
                                          REDIRECT + "?next=https://evil.example.com", "http://127.0.0.1:1/cb",
                                          "http://127.0.0.2:8976/callback", "https://127.0.0.1:8976/callback",
                                          "http://127.0.0.1:99999/callback"])
def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(flow, redirect_uri) -> None:
    answer = flow.page(flow.register(), pkce()[1], redirect_uri=redirect_uri)
    assert "not registered" in _refused_page(answer)


def test_a_loopback_redirect_may_use_another_port(flow) -> None:
    """RFC 8252 section 7.3: native apps get a free port at each sign-in."""
    answer = flow.page(flow.register(), pkce()[1], redirect_uri="http://127.0.0.1:40123/callback")
    assert answer.status_code == 200


def test_an_unknown_client_gets_an_error_page(flow) -> None:
    assert "does not know" in _refused_page(flow.page("no-such-client", pkce()[1]))


@pytest.mark.parametrize("extra", [{"code_challenge_method": "plain"}, {"code_challenge": "short"},
                                   {"code_challenge_method": ""}])
def test_authorization_without_s256_pkce_is_sent_back_as_an_error(flow, extra) -> None:
    answer = flow.page(flow.register(), pkce()[1], **extra)
    assert answer.status_code == 302
    error = query_of(answer.headers["Location"])
    assert answer.headers["Location"].startswith(REDIRECT)
    assert error["error"] == "invalid_request" and error["state"] == "st4te"


def test_a_resource_that_is_not_this_gateway_is_refused(flow) -> None:
    answer = flow.page(flow.register(), pkce()[1], resource="https://other.example.com/mcp")
    assert query_of(answer.headers["Location"])["error"] == "invalid_target"


def test_a_code_used_twice_is_refused_and_revokes_what_it_gave(flow) -> None:
    client_id = flow.register()
    verifier, challenge = pkce()
    code = flow.code(client_id, challenge)
    first = flow.exchange(client_id, code, verifier)
    assert first.status_code == 200
    again = flow.exchange(client_id, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert "already used" in again.get_json()["error_description"]
    assert flow.key_status(first.get_json()["access_token"]) == "key_revoked"
    assert flow.refresh(client_id, first.get_json()["refresh_token"]).status_code == 400


# Another valid verifier, fixed so that every xdist worker collects the same test ids.
OTHER_VERIFIER = "Zm9yZ2VkLXZlcmlmaWVyLXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLXBrY2U"


@pytest.mark.parametrize("verifier", [None, "", "x" * 43, OTHER_VERIFIER])
def test_a_wrong_or_missing_verifier_is_refused_and_burns_the_code(flow, verifier) -> None:
    client_id = flow.register()
    right, challenge = pkce()
    code = flow.code(client_id, challenge)
    answer = flow.exchange(client_id, code, verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert flow.exchange(client_id, code, right).status_code == 400  # no second try with the right one


def test_a_code_is_bound_to_its_client_and_redirect_uri(flow) -> None:
    client_id = flow.register()
    verifier, challenge = pkce()
    other = flow.register()
    assert flow.exchange(other, flow.code(client_id, challenge), verifier).status_code == 400
    changed = flow.exchange(client_id, flow.code(client_id, challenge), verifier,
                            redirect_uri="http://127.0.0.1:8976/other")
    assert changed.status_code == 400


def test_a_code_is_bound_to_its_resource(flow) -> None:
    client_id = flow.register()
    verifier, challenge = pkce()
    answer = flow.exchange(client_id, flow.code(client_id, challenge), verifier,
                           resource="https://other.example.com/mcp")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_target"


def test_an_expired_code_is_refused(flow, oauth_app) -> None:
    client_id = flow.register()
    verifier, challenge = pkce()
    code = flow.code(client_id, challenge)
    oauth_app.extensions["oauth"].clock = lambda: time.time() + 61  # OAUTH_CODE_TTL_SECONDS is 60
    answer = flow.exchange(client_id, code, verifier)
    assert answer.status_code == 400 and "expired" in answer.get_json()["error_description"]


def test_a_forged_csrf_token_is_refused_before_odoo(flow, odoo) -> None:
    client_id = flow.register()
    challenge = pkce()[1]
    form = login_form(odoo.url, flow.page(client_id, challenge).get_data(as_text=True), csrf="forged" * 8)
    odoo.clear_calls()
    page = _refused_page(flow.client.post(authorize_path(client_id, challenge), data=form))
    assert "CSRF" in page and odoo.calls == []


def test_a_form_without_the_cookie_is_refused(flow, odoo) -> None:
    """A cross-site form post (login CSRF): the attacker's page cannot send the person's cookie."""
    client_id = flow.register()
    challenge = pkce()[1]
    form = login_form(odoo.url, flow.page(client_id, challenge).get_data(as_text=True))
    flow.client.delete_cookie("oauth_csrf", path="/oauth")
    odoo.clear_calls()
    _refused_page(flow.client.post(authorize_path(client_id, challenge), data=form))
    assert odoo.calls == []


def test_a_sealed_request_from_another_page_is_refused(flow, odoo) -> None:
    client_id = flow.register()
    challenge = pkce()[1]
    mine = login_form(odoo.url, flow.page(client_id, challenge).get_data(as_text=True))
    theirs = login_form(odoo.url, flow.page(flow.register(), challenge).get_data(as_text=True))
    # The browser now holds the second page's cookie; the first page's token with it must fail.
    _refused_page(flow.client.post(authorize_path(client_id, challenge),
                                   data={**theirs, "request": mine["request"]}))


@pytest.mark.parametrize("scope", ["*:RW", "res.partner:RWD", "sale.order:W", "sale.*:RW", "*:X",
                                   "res.partner:X(action_archive)", "stock.*:D"])
def test_a_scope_wider_than_the_maximum_is_refused_before_odoo(flow, odoo, scope) -> None:
    client_id = flow.register()
    odoo.clear_calls()
    answer = flow.sign_in(client_id, pkce()[1], scope)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "OAUTH_MAX_SCOPE" in answer.get_data(as_text=True)
    assert odoo.calls == []


@pytest.mark.parametrize("scope", ["res.partner:RW", "sale.order:R,*:R", "res.partner:R,*:"])
def test_a_scope_within_the_maximum_is_granted(flow, scope) -> None:
    assert flow.sign_in(flow.register(), pkce()[1], scope).status_code == 302


def test_a_refresh_token_reused_after_rotation_revokes_the_chain(flow) -> None:
    client_id, first = flow.tokens()
    second = flow.refresh(client_id, first["refresh_token"]).get_json()
    reused = flow.refresh(client_id, first["refresh_token"])
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    assert flow.refresh(client_id, second["refresh_token"]).status_code == 400  # the thief's copy too
    assert flow.key_status(first["access_token"]) == "key_revoked"
    assert flow.key_status(second["access_token"]) == "key_revoked"


def test_a_refresh_token_is_not_an_access_token_and_back(flow) -> None:
    client_id, tokens = flow.tokens()
    assert flow.key_status(tokens["refresh_token"]) == "auth_failed"
    assert flow.refresh(client_id, tokens["access_token"]).status_code == 400


@pytest.mark.parametrize("step", ["page", "refused", "error"])
def test_pages_cannot_be_framed(flow, odoo, step) -> None:
    client_id = flow.register()
    if step == "page":
        answer = flow.page(client_id, pkce()[1])
    elif step == "refused":
        answer = flow.sign_in(client_id, pkce()[1], password="wrong")
    else:
        answer = flow.page(client_id, pkce()[1], redirect_uri="https://evil.example.com/cb")
    assert answer.headers["X-Frame-Options"] == "DENY"
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy  # no script at all (default-src 'none')
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_csrf_cookie_is_http_only_and_same_site(flow) -> None:
    cookie = flow.page(flow.register(), pkce()[1]).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path" not in cookie


def test_sign_in_attempts_are_rate_limited(make_app, odoo, tmp_path) -> None:
    app = make_app(oauth_enabled=True, oauth_rate_limit="3/minute", oauth_db=str(tmp_path / "o"))
    flow = Flow(app.test_client(), odoo.url)
    client_id = flow.register()
    statuses = [flow.sign_in(client_id, pkce()[1], password="guess").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_only_refused_sign_ins_count_against_the_limit(make_app, odoo, tmp_path) -> None:
    """Everyone behind one proxy shares an address: their successful sign-ins never use up the limit."""
    app = make_app(oauth_enabled=True, oauth_rate_limit="2/minute", oauth_db=str(tmp_path / "o"))
    flow = Flow(app.test_client(), odoo.url)
    client_id = flow.register()
    signed_in = [flow.sign_in(client_id, pkce()[1]).status_code for _ in range(4)]
    assert signed_in == [302] * 4
    guesses = [flow.sign_in(client_id, pkce()[1], password="guess").status_code for _ in range(3)]
    assert guesses == [401, 401, 429]
    assert flow.sign_in(client_id, pkce()[1]).status_code == 429  # then everyone waits: the window


def test_a_replay_during_the_exchange_leaves_no_valid_key(flow, oauth_app) -> None:
    """The race: a copy of the code is redeemed while the first exchange is minting its key."""
    client_id = flow.register()
    verifier, challenge = pkce()
    code = flow.code(client_id, challenge)
    service = oauth_app.extensions["oauth"]
    add, replays = service.store.add, []

    def add_then_replay(kind: str, key: str, item: str, ttl: int) -> None:
        add(kind, key, item, ttl)
        if not replays:
            form = {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                    "redirect_uri": REDIRECT, "code_verifier": verifier}
            with pytest.raises(OAuthError, match="already used"):
                service.token(form, "http://localhost")
            replays.append(item)

    service.store.add = add_then_replay
    answer = flow.exchange(client_id, code, verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert replays and service.gateway.revocations.is_revoked(replays[0])
