"""POST /auth/generate and /auth/validate through HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.test_errors_e2e import assert_error


def test_generate_answers_the_contract_shape(api) -> None:
    response = api.generate(scope="res.partner:rwd, sale.order:RW ,*:R")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"api_key", "key_id", "expires", "user", "uid", "scope", "credentials",
                         "transport"}
    assert body["user"] == "admin" and body["uid"] == 2 and body["expires"] is None
    assert body["scope"] == "res.partner:RWD,sale.order:RW,*:R"
    assert body["credentials"] == {"url": api.odoo.url, "database": "demo", "username": "admin",
                                   "scope": "res.partner:RWD,sale.order:RW,*:R"}
    assert "password" not in str(body).replace("api_key", "")
    (auth,) = [c for c in api.odoo.calls if c.method == "authenticate"]
    assert (auth.db, auth.login) == ("demo", "admin")


def test_generate_defaults_scope_to_read_everything(api) -> None:
    assert api.generate(scope=None).json["scope"] == "*:R"


def test_minting_warms_the_session_pool(api) -> None:
    key = api.key()
    api.odoo.clear_calls()
    api.result(key, "search", model="res.partner")
    assert [c.method for c in api.odoo.calls] == ["execute_kw"]


def test_trailing_slash_is_dropped(api) -> None:
    assert api.generate(url=api.odoo.url + "/").json["credentials"]["url"] == api.odoo.url


def test_odoo_api_key_works_as_password(api) -> None:
    key = api.key(password="admin-api-key-0000000000000000")
    assert api.call(key, "search_count", model="res.partner").status_code == 200


@pytest.mark.parametrize(
    "fields",
    [{"password": "wrong"}, {"username": "nobody"}, {"database": "nodb"},
     {"database": "other"}],  # admin's password differs there
)
def test_rejected_login_is_401(api, fields) -> None:
    body = assert_error(api.generate(**fields), 401, "auth_failed")
    assert "wrong" not in body["error"]


def test_unknown_database_says_so(api) -> None:
    body = assert_error(api.generate(database="nodb"), 401, "auth_failed")
    assert "nodb" in body["error"] and "psycopg2" not in body["error"]


@pytest.mark.parametrize(
    "url",
    ["ftp://odoo.test", "odoo.test", "http://", "http://user:pw@odoo.test",
     "http://odoo.test/?db=x", "http://odoo.test/#x", "http://odoo.test:99999", "", 5,
     "javascript:alert(1)"],
)
def test_bad_urls_are_400(api, url) -> None:
    assert_error(api.generate(url=url), 400, "invalid_request")
    assert api.odoo.calls == []


@pytest.mark.parametrize(
    "fields",
    [{"database": ""}, {"username": ""}, {"password": ""}, {"password": None},
     {"database": 3}, {"extra": "x"}, {"expires_in": 0}, {"expires_in": -5},
     {"expires_in": "soon"}, {"context": "fr"}],
)
def test_bad_fields_are_400(api, fields) -> None:
    assert_error(api.generate(**fields), 400, "invalid_request")
    assert api.odoo.calls == []


@pytest.mark.parametrize("scope", ["", "res.partner", "res.partner:RQ", "a:R,a:W", "BAD:R"])
def test_bad_scope_is_400_scope_invalid(api, scope) -> None:
    body = assert_error(api.generate(scope=scope), 400, "scope_invalid")
    assert body["error"]
    assert api.odoo.calls == []


def test_body_must_be_an_object(api) -> None:
    assert_error(api.client.post("/auth/generate", data="[1]"), 400, "invalid_request")


def test_expires_in_sets_expiry_and_expired_key_is_refused(api, monkeypatch) -> None:
    body = api.generate(expires_in=60).json
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    assert 55 < (expires - datetime.now(UTC)).total_seconds() <= 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    assert_error(api.call(body["api_key"], "search", model="res.partner"), 401, "key_expired")
    assert_error(api.client.post("/auth/validate", json={"api_key": body["api_key"]}), 401,
                 "key_expired")


def test_validate_describes_the_key_without_password(api) -> None:
    minted = api.generate(scope="res.partner:R").json
    response = api.client.post("/auth/validate", json={"api_key": minted["api_key"]})
    assert response.status_code == 200
    assert response.json == {"status": "valid", "key_id": minted["key_id"], "expires": None,
                             "credentials": minted["credentials"], "transport": "xmlrpc"}


@pytest.mark.parametrize("body", [{"api_key": "nope"}, {}, {"api_key": ""}])
def test_validate_refuses_bad_keys(api, body) -> None:
    response = api.client.post("/auth/validate", json=body)
    assert response.status_code in (400, 401) and response.json["status"] in (
        "invalid_request", "auth_failed")


def test_generate_against_unreachable_odoo_is_502(api) -> None:
    api.odoo.go_down()
    try:
        assert_error(api.generate(), 502, "connection_failed")
    finally:
        api.odoo.come_back()


def test_key_max_ttl_refuses_longer_keys(odoo, api, make_app) -> None:
    api.client = make_app(key_max_ttl_seconds=3600).test_client()
    assert_error(api.generate(expires_in=7200), 400, "invalid_request")
    assert api.generate().json["expires"] is not None  # unlimited becomes the maximum
    assert api.generate(expires_in=60).status_code == 200
