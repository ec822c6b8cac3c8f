"""The OAuth sign-in through HTTP: discovery, registration, the page, tokens, rotation, revocation."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import Collect
from tests.oauth_flow import REDIRECT, Flow, authorize_path, hidden_fields, pkce, query_of


@pytest.fixture
def oauth_app(make_app, tmp_path):
    return make_app(oauth_enabled=True, oauth_max_scope="res.partner:RW,*:R",
                    oauth_db=str(tmp_path / "oauth.sqlite3"), revocation_db=str(tmp_path / "revoked.sqlite3"))


@pytest.fixture
def flow(oauth_app, odoo) -> Flow:
    return Flow(oauth_app.test_client(), odoo.url)


def test_oauth_is_off_by_default(client) -> None:
    assert client.get("/.well-known/oauth-protected-resource").status_code == 404
    assert client.post("/oauth/register", json={"redirect_uris": [REDIRECT]}).status_code == 404
    refused = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and "resource_metadata" not in refused.headers["WWW-Authenticate"]


def test_a_401_from_mcp_points_to_the_resource_metadata(flow) -> None:
    refused = flow.client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="odoo-gateway", '
        'resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"')


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource",
                                  "/.well-known/oauth-protected-resource/mcp"])
def test_resource_metadata_names_the_gateway_as_authorization_server(flow, path) -> None:
    answer = flow.client.get(path)
    assert answer.status_code == 200
    assert answer.get_json()["resource"] == "http://localhost/mcp"
    assert answer.get_json()["authorization_servers"] == ["http://localhost"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_server_metadata_lists_the_endpoints_and_s256(flow) -> None:
    meta = flow.client.get("/.well-known/oauth-authorization-server").get_json()
    assert meta["issuer"] == "http://localhost"
    assert meta["authorization_endpoint"] == "http://localhost/oauth/authorize"
    assert meta["token_endpoint"] == "http://localhost/oauth/token"
    assert meta["registration_endpoint"] == "http://localhost/oauth/register"
    assert meta["revocation_endpoint"] == "http://localhost/oauth/revoke"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint_auth_methods_supported"] == ["none"]


def test_public_url_sets_the_issuer(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, public_url="https://gw.example.com", oauth_db=str(tmp_path / "o"))
    meta = app.test_client().get("/.well-known/oauth-authorization-server").get_json()
    assert meta["issuer"] == "https://gw.example.com"
    assert meta["token_endpoint"] == "https://gw.example.com/oauth/token"


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_host_make_the_issuer(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, trusted_proxies=1, oauth_db=str(tmp_path / "o"))
    meta = app.test_client().get("/.well-known/oauth-authorization-server", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "odoo-gw.example.org"}).get_json()
    assert meta["issuer"] == "https://odoo-gw.example.org"


@pytest.mark.parametrize("uri", ["https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:33418/cb",
                                 "http://localhost:6274/oauth/callback", "http://[::1]:8080/cb"])
def test_registration_takes_https_and_loopback_redirects(flow, uri) -> None:
    answer = flow.client.post("/oauth/register", json={"redirect_uris": [uri], "client_name": "x",
                                                       "token_endpoint_auth_method": "client_secret_post"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["redirect_uris"] == [uri] and body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body


@pytest.mark.parametrize("uris", [["http://evil.example.com/cb"], ["javascript:alert(1)"],
                                  ["https://example.com/cb#frag"], ["https://user:pw@example.com/cb"],
                                  ["myapp://callback"], [], "https://example.com/cb", [1]])
def test_registration_refuses_other_redirects(flow, uris) -> None:
    answer = flow.client.post("/oauth/register", json={"redirect_uris": uris})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_redirect_uri"


def _registrations(app, count: int) -> list[int]:
    client = app.test_client()
    return [client.post("/oauth/register", json={"redirect_uris": [REDIRECT]}).status_code
            for _ in range(count)]


def test_registration_is_bounded(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, oauth_max_clients=2, oauth_db=str(tmp_path / "o"))
    assert _registrations(app, 3) == [201, 201, 503]


def test_registration_is_rate_limited(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, oauth_register_rate_limit="2/minute", oauth_db=str(tmp_path / "o"))
    assert _registrations(app, 3) == [201, 201, 429]


def test_registration_has_its_own_limit(make_app, tmp_path) -> None:
    """Hosted assistants register every person's connection from their own servers: not OAUTH_RATE_LIMIT."""
    app = make_app(oauth_enabled=True, oauth_rate_limit="1/minute", oauth_db=str(tmp_path / "o"))
    assert _registrations(app, 5) == [201] * 5


def test_the_page_offers_scopes_within_the_maximum(flow) -> None:
    page = flow.page(flow.register(), pkce()[1]).get_data(as_text=True)
    assert 'value="res.partner:R,*:R" checked' in page  # OAUTH_MAX_SCOPE cut to R
    assert 'value="res.partner:RW,*:R"' in page
    assert "<script" not in page and "http://" not in page.replace("http://localhost", "").split("<form")[0]


def test_a_requested_scope_is_preselected(flow) -> None:
    page = flow.page(flow.register(), pkce()[1], scope="res.partner:R offline_access")
    assert 'id="scope_custom" value="res.partner:R"' in page.get_data(as_text=True)


def test_sign_in_redirects_with_a_code_and_the_state(flow, odoo) -> None:
    answer = flow.sign_in(flow.register(), pkce()[1])
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    assert query_of(location)["state"] == "st4te" and len(query_of(location)["code"]) >= 40
    assert odoo.count(method="authenticate") >= 1  # checked with Odoo, like /auth/generate


def test_a_wrong_password_shows_the_page_again(flow, odoo) -> None:
    answer = flow.sign_in(flow.register(), pkce()[1], password="wrong")
    assert answer.status_code == 401 and "Location" not in answer.headers
    page = answer.get_data(as_text=True)
    assert 'id="error"' in page and "wrong" not in page
    assert f'value="{odoo.url}"' in page  # what was typed stays, except the password


def test_the_exchange_gives_a_gateway_key_and_a_refresh_token(flow) -> None:
    _, tokens = flow.tokens("res.partner:RW")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "res.partner:RW"
    described = flow.client.post("/auth/validate", json={"api_key": tokens["access_token"]}).get_json()
    assert described["status"] == "valid" and described["credentials"]["scope"] == "res.partner:RW"
    called = flow.client.post("/tools/call", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                              json={"name": "search_read", "arguments": {"model": "res.partner", "limit": 1}})
    assert called.status_code == 200


def test_refresh_rotates_and_old_keys_stay_valid(flow) -> None:
    client_id, first = flow.tokens()
    second = flow.refresh(client_id, first["refresh_token"])
    assert second.status_code == 200 and second.headers["Cache-Control"] == "no-store"
    rotated = second.get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    third = flow.refresh(client_id, rotated["refresh_token"])
    assert third.status_code == 200
    assert flow.key_status(first["access_token"]) == "valid"


def test_refresh_needs_the_same_client(flow) -> None:
    _, tokens = flow.tokens()
    other = flow.register()
    answer = flow.refresh(other, tokens["refresh_token"])
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_revoking_a_refresh_token_revokes_its_sign_in(flow) -> None:
    client_id, tokens = flow.tokens()
    assert flow.client.post("/oauth/revoke", data={"token": tokens["refresh_token"]}).status_code == 200
    assert flow.key_status(tokens["access_token"]) == "key_revoked"
    assert flow.refresh(client_id, tokens["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_revoking_an_access_token_revokes_that_key(flow) -> None:
    client_id, tokens = flow.tokens()
    assert flow.client.post("/oauth/revoke", data={"token": tokens["access_token"]}).status_code == 200
    assert flow.key_status(tokens["access_token"]) == "key_revoked"
    assert flow.refresh(client_id, tokens["refresh_token"]).status_code == 200


def test_revoking_an_unknown_token_is_no_error(flow) -> None:
    assert flow.client.post("/oauth/revoke", data={"token": "not-a-token"}).status_code == 200


def test_unknown_grant_types_are_refused(flow) -> None:
    answer = flow.client.post("/oauth/token", data={"grant_type": "password"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "unsupported_grant_type"


def test_no_secret_reaches_the_log(flow, odoo) -> None:
    handler = Collect()
    logger = logging.getLogger("odoo_gateway")
    logger.addHandler(handler)
    try:
        client_id = flow.register()
        verifier, challenge = pkce()
        code = flow.code(client_id, challenge)
        tokens = flow.exchange(client_id, code, verifier).get_json()
        refreshed = flow.refresh(client_id, tokens["refresh_token"]).get_json()
        flow.sign_in(client_id, challenge, password="s3cret-typo")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(handler.lines)
    assert "POST /oauth/token" in text
    for secret in (code, verifier, tokens["access_token"], tokens["refresh_token"],
                   refreshed["refresh_token"], "s3cret-typo", "password"):
        assert secret not in text


def test_an_issuer_with_a_path_has_path_suffixed_metadata(make_app, tmp_path) -> None:
    """RFC 8414 section 3: the issuer's path goes after the well-known name."""
    client = make_app(oauth_enabled=True, public_url="https://example.com/odoo-gw",
                      oauth_db=str(tmp_path / "o")).test_client()
    found = client.get("/.well-known/oauth-authorization-server/odoo-gw")
    assert found.status_code == 200 and found.get_json()["issuer"] == "https://example.com/odoo-gw"
    assert found.get_json()["token_endpoint"] == "https://example.com/odoo-gw/oauth/token"
    # PREFIX/.well-known/oauth-authorization-server arrives with the prefix stripped by the proxy.
    assert client.get("/.well-known/oauth-authorization-server").get_json() == found.get_json()
    assert client.get("/.well-known/oauth-authorization-server/other").status_code == 404
    resource = client.get("/.well-known/oauth-protected-resource/mcp").get_json()
    assert resource["resource"] == "https://example.com/odoo-gw/mcp"


def test_the_client_name_is_escaped_on_the_page(flow) -> None:
    client_id = flow.client.post("/oauth/register", json={
        "client_name": '<img src=x onerror="alert(1)">', "redirect_uris": [REDIRECT]}).get_json()["client_id"]
    page = flow.page(client_id, pkce()[1]).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def _pinned_flow(make_app, odoo, tmp_path, **settings) -> tuple[Flow, str, str, str]:
    app = make_app(oauth_enabled=True, oauth_db=str(tmp_path / "o"), **settings)
    flow = Flow(app.test_client(), odoo.url)
    client_id = flow.register()
    challenge = pkce()[1]
    page = flow.page(client_id, challenge)
    assert page.status_code == 200
    return flow, client_id, challenge, page.get_data(as_text=True)


def test_a_pinned_odoo_and_database_are_not_asked_for(make_app, odoo, tmp_path) -> None:
    """ALLOWED_ODOO_URLS naming one Odoo and OAUTH_ODOO_DATABASE: the person types login and password."""
    flow, client_id, challenge, page = _pinned_flow(make_app, odoo, tmp_path, allowed_odoo_urls=(odoo.url,),
                                                    oauth_odoo_database="demo")
    assert 'name="url"' not in page and 'name="database"' not in page
    assert f"<code>{odoo.url}</code>" in page and "<code>demo</code>" in page
    form = {**hidden_fields(page), "username": "admin", "password": "admin", "scope": "custom",
            "scope_custom": "res.partner:R"}
    answer = flow.client.post(authorize_path(client_id, challenge), data=form)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]
    # A form that names another Odoo or database anyway signs in to the pinned ones.
    page = flow.page(client_id, challenge).get_data(as_text=True)
    forged = {**hidden_fields(page), "url": "https://elsewhere.example.com", "database": "other",
              "username": "admin", "password": "admin", "scope": "custom", "scope_custom": "res.partner:R"}
    answer = flow.client.post(authorize_path(client_id, challenge), data=forged)
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_a_pinned_odoo_without_a_database_asks_only_for_the_database(make_app, odoo, tmp_path) -> None:
    flow, client_id, challenge, page = _pinned_flow(make_app, odoo, tmp_path, allowed_odoo_urls=(odoo.url,))
    assert 'name="url"' not in page and 'name="database"' in page
    form = {**hidden_fields(page), "database": "demo", "username": "admin", "password": "admin",
            "scope": "custom", "scope_custom": "res.partner:R"}
    assert flow.client.post(authorize_path(client_id, challenge), data=form).status_code == 302
    form["database"] = ""
    refused = flow.client.post(authorize_path(client_id, challenge), data=form)
    assert refused.status_code == 400 and "Fill in the database." in refused.get_data(as_text=True)


@pytest.mark.parametrize("allowed", [("https://*.example.com",), ("https://a.example.com", "https://b.example.com")])
def test_several_allowed_odoos_leave_the_url_to_the_person(make_app, odoo, tmp_path, allowed) -> None:
    page = _pinned_flow(make_app, odoo, tmp_path, allowed_odoo_urls=allowed)[3]
    assert 'name="url"' in page and 'name="database"' in page
