"""The jsonrpc transport: Odoo's /jsonrpc endpoint, mapped like XML-RPC, never leaking Odoo's traceback.

The CRUD and business tools run through a jsonrpc key with the ``transport`` fixture (conftest);
retries, the breaker and the response cap are shared tests too. Here: what is proper to /jsonrpc.
"""

from __future__ import annotations

import json

import pytest

from sandbox import jsonrpc as sandbox_jsonrpc
from tests.test_errors_e2e import assert_error


def test_a_jsonrpc_key_talks_to_slash_jsonrpc_only(api) -> None:
    minted = api.generate(transport="jsonrpc")
    assert minted.status_code == 200 and minted.json["transport"] == "jsonrpc"
    xmlrpc_key = api.key()
    api.odoo.clear_calls()
    api.odoo.paths.clear()
    over_json = api.result(minted.json["api_key"], "search_read", model="res.partner", limit=5,
                           fields=["name", "email", "parent_id"])
    assert set(api.odoo.paths) == {"/jsonrpc"}
    assert over_json == api.result(xmlrpc_key, "search_read", model="res.partner", limit=5,
                                   fields=["name", "email", "parent_id"])
    validated = api.client.post("/auth/validate", json={"api_key": minted.json["api_key"]}).json
    assert validated["transport"] == "jsonrpc"


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"password": "wrong"}, 401, "auth_failed"),
    ({"database": "nope"}, 401, "auth_failed"),
])
def test_minting_checks_the_login_over_jsonrpc(api, fields, status, code) -> None:
    body = assert_error(api.generate(transport="jsonrpc", **fields), status, code)
    assert "Traceback" not in body["error"] and "psycopg2" not in body["error"]
    assert set(api.odoo.paths) == {"/jsonrpc"}


def test_errors_carry_odoos_message_never_its_traceback(api) -> None:
    key = api.key(transport="jsonrpc")
    response = api.call(key, "search", model="res.partner", domain=[["no_such_field", "=", 1]])
    body = assert_error(response, 422, "odoo_error")
    assert "no_such_field" in body["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert 'File "' not in response.get_data(as_text=True)


def test_a_changed_password_is_401_and_the_session_dropped(api) -> None:
    key = api.key(transport="jsonrpc")
    api.odoo.set_password("demo", "admin", "changed")
    assert_error(api.call(key, "search_count", model="res.partner"), 401, "auth_failed")
    api.odoo.set_password("demo", "admin", "admin")
    assert api.call(key, "search_count", model="res.partner").status_code == 200


@pytest.mark.parametrize("failure", ["non_xml", "http_500"])
def test_an_answer_that_is_not_jsonrpc_is_502(api, failure) -> None:
    key = api.key(transport="jsonrpc")
    api.odoo.failure = failure
    body = assert_error(api.call(key, "search_count", model="res.partner"), 502, "connection_failed")
    assert "JSON-RPC" in body["error"]


def test_timeout_is_504(api, make_app) -> None:
    api.client = make_app(odoo_timeout_seconds=1.0).test_client()  # room for the mint when busy
    key = api.key(transport="jsonrpc")
    api.odoo.failure = "hang"
    try:
        assert_error(api.call(key, "search_count", model="res.partner"), 504, "odoo_timeout")
    finally:
        api.odoo.failure = None


def test_the_sandbox_answers_errors_as_odoo_serialises_them(odoo) -> None:
    payload = sandbox_jsonrpc.answer(odoo, json.dumps({
        "jsonrpc": "2.0", "method": "call", "id": 3, "params": {
            "service": "object", "method": "execute_kw",
            "args": ["demo", 2, "admin", "res.partner", "write", [[999_999], {"name": "x"}], {}]}}).encode())
    error = payload["error"]
    assert payload["id"] == 3 and error["code"] == 200 and error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.MissingError"
    assert set(error["data"]) == {"name", "message", "arguments", "context", "debug"}
