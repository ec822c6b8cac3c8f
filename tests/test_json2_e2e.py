"""JSON-2: minting with a transport, error mapping to the contract, and parity with XML-RPC."""

from __future__ import annotations

import json

import pytest

from app.base.errors import AuthFailed, ConnectionFailed, NotFound, OdooAccessError, OdooError
from app.core.access.keys import KeyClaims
from app.odoo.json2 import _answer, named_arguments
from tests.conftest import ADMIN_API_KEY, Api

URL = "https://odoo.example.com"


def body(name: str, message: str) -> bytes:
    return json.dumps({"name": name, "message": message, "arguments": [message], "context": {},
                       "debug": "Traceback (most recent call last):\n  File \"/odoo/x.py\"\nsecret"}).encode()


@pytest.mark.parametrize(("status", "raw", "error", "message"), [
    (401, body("odoo.exceptions.AccessDenied", "Access Denied"), AuthFailed, "Access Denied"),
    (401, body("werkzeug.exceptions.Unauthorized", "no key"), AuthFailed, "Access Denied"),
    (403, body("odoo.exceptions.AccessError", "You are not allowed"), OdooAccessError, "You are not allowed"),
    (404, body("odoo.exceptions.MissingError", "Record does not exist"), NotFound, "Record does not exist"),
    (404, body("werkzeug.exceptions.NotFound", "Object x doesn't exist"), OdooError, "Object x"),
    (422, body("odoo.exceptions.UserError", "Contacts require a name"), OdooError, "Contacts require"),
    (422, body("odoo.exceptions.ValidationError", "Bad VAT"), OdooError, "Bad VAT"),
    (400, body("werkzeug.exceptions.BadRequest", "bad body"), OdooError, "bad body"),
    (500, body("builtins.ValueError", "Invalid field 'x'"), OdooError, "Invalid field 'x'"),
    (500, body("builtins.KeyError", ""), OdooError, "Odoo refused the operation."),
    (404, b"<html>Not Found</html>", ConnectionFailed, "Odoo 19 or later"),
    (502, b"<html>Bad Gateway</html>", ConnectionFailed, "did not answer with JSON-2"),
    (200, b"<html>login</html>", ConnectionFailed, "did not answer with JSON-2"),
    (500, b'{"error": "not odoo"}', ConnectionFailed, "did not answer with JSON-2"),
])
def test_json2_error_mapping_table(status, raw, error, message) -> None:
    with pytest.raises(error) as caught:
        _answer(URL, status, raw)
    assert message in caught.value.message
    assert "Traceback" not in caught.value.message and "secret" not in caught.value.message


@pytest.mark.parametrize(("method", "args", "kwargs", "named"), [
    ("search", [[["a", "=", 1]]], {"limit": 5}, {"domain": [["a", "=", 1]], "limit": 5}),
    ("read", [[1, 2]], {"fields": ["name"]}, {"ids": [1, 2], "fields": ["name"]}),
    ("write", [[1], {"name": "x"}], {}, {"ids": [1], "vals": {"name": "x"}}),
    ("create", [[{"name": "x"}]], {}, {"vals_list": [{"name": "x"}]}),
    ("name_search", ["az", [], "ilike", 5], {},
     {"name": "az", "domain": [], "operator": "ilike", "limit": 5}),
    ("read_group", [[], ["a:sum"], ["b"]], {"lazy": False},
     {"domain": [], "fields": ["a:sum"], "groupby": ["b"], "lazy": False}),
    ("action_confirm", [[3]], {"context": {"lang": "fr_FR"}}, {"ids": [3], "context": {"lang": "fr_FR"}}),
    ("context_get", [], {}, {}),
])
def test_positional_arguments_are_named(method, args, kwargs, named) -> None:
    assert named_arguments(method, args, kwargs) == named


def test_keys_minted_before_json2_open_as_xmlrpc() -> None:
    old = {"v": 1, "u": URL, "d": "db", "n": "me", "p": "pw", "s": "*:R", "i": "k", "t": 1, "e": None}
    assert KeyClaims.from_json(json.dumps(old).encode()).transport == "xmlrpc"


# -- minting ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "password", "transport"), [
    ("18.0", ADMIN_API_KEY, "xmlrpc"),
    ("19.0", ADMIN_API_KEY, "json2"),
    ("19.0", "admin", "xmlrpc"),  # a password: JSON-2 refuses it, XML-RPC takes it
    ("20.0", ADMIN_API_KEY, "json2"),
])
def test_auto_chooses_by_version_and_secret(api, version, password, transport) -> None:
    api.odoo.version = version
    minted = api.generate(password=password, transport="auto")
    assert minted.status_code == 200, minted.json
    assert minted.json["transport"] == transport and minted.json["uid"] == 2
    assert api.odoo.count(method="version") == 1
    validated = api.client.post("/auth/validate", json={"api_key": minted.json["api_key"]})
    assert validated.json["transport"] == transport
    api.odoo.clear_calls()
    api.result(minted.json["api_key"], "search_count", model="res.partner")
    (call,) = [c for c in api.odoo.calls if c.model_method == "search_count"]
    assert call.service == ("json2" if transport == "json2" else "object")


@pytest.mark.parametrize(("version", "fields", "http", "status"), [
    ("19.0", {"password": "admin"}, 401, "auth_failed"),  # a password is not an API key
    ("19.0", {"password": "wrong-key"}, 401, "auth_failed"),
    ("19.0", {"username": "restricted"}, 401, "auth_failed"),  # admin's key, another login
    ("19.0", {"database": "nodb"}, 401, "auth_failed"),
    ("18.0", {}, 502, "connection_failed"),  # no /json/2 before Odoo 19
])
def test_json2_minting_failures(api, version, fields, http, status) -> None:
    api.odoo.version = version
    response = api.generate(**{"password": ADMIN_API_KEY, "transport": "json2", **fields})
    assert response.status_code == http and response.json["status"] == status, response.json


def test_unknown_transport_is_400(api) -> None:
    response = api.generate(transport="grpc")
    assert response.status_code == 400 and "transport" in response.json["details"]


# -- the same error statuses over both transports ---------------------------------------------

ERRORS = [
    ("write", {"model": "res.partner", "ids": [999999], "values": {"name": "x"}}, 404, "not_found"),
    ("search", {"model": "no.such.model"}, 422, "odoo_error"),
    ("search", {"model": "res.partner", "domain": [["nofield", "=", 1]]}, 422, "odoo_error"),
    ("search_read", {"model": "res.partner", "fields": ["nofield"]}, 422, "odoo_error"),
    ("create", {"model": "res.partner", "values": {"email": "x@example.com"}}, 422, "odoo_error"),
    ("call", {"model": "res.partner", "method": "no_such_method", "ids": [1]}, 422, "odoo_error"),
]


@pytest.mark.parametrize(("tool", "arguments", "http", "status"), ERRORS)
def test_odoo_errors_have_the_same_status_over_both_transports(api, any_key, tool, arguments, http,
                                                                status) -> None:
    response = api.call(any_key, tool, **arguments)
    assert response.status_code == http and response.json["status"] == status, response.json
    text = json.dumps(response.json)
    assert "Traceback" not in text and "debug" not in text and "/usr/lib" not in text


def test_same_messages_over_both_transports(api, odoo) -> None:
    messages = []
    for transport in ("xmlrpc", "json2"):
        odoo.version = "19.0"
        key = api.key(password=ADMIN_API_KEY, transport=transport)
        messages.append(api.call(key, "search", model="res.partner",
                                 domain=[["nofield", "=", 1]]).json["error"])
    assert messages[0] == messages[1] == "Invalid field res.partner.nofield in condition ('nofield', '=', 1)"


def test_odoo_access_error_is_403(api, transport) -> None:
    if transport == "json2":
        api.odoo.version = "19.0"
    api.odoo.add_api_key("demo", "restricted", "restricted-api-key")
    key = api.key(username="restricted", password="restricted-api-key", transport=transport)
    response = api.call(key, "create", model="res.groups", values={"name": "Hackers"})
    assert response.status_code == 403 and response.json["status"] == "odoo_access_error"
    assert "not allowed to create" in response.json["error"]


def test_revoked_api_key_is_401(api, any_key) -> None:
    with api.odoo.lock:
        api.odoo.databases["demo"].api_keys["admin"] = []
    api.odoo.set_password("demo", "admin", "changed")
    response = api.call(any_key, "search", model="res.partner")
    assert response.status_code == 401 and response.json["status"] == "auth_failed"


@pytest.mark.parametrize(("failure", "http", "status"), [
    ("non_xml", 502, "connection_failed"), ("http_500", 502, "connection_failed"),
    ("reset", 502, "connection_failed"), ("refuse", 502, "connection_failed"),
    ("hang", 504, "odoo_timeout"),
])
def test_json2_network_failures(make_app, odoo, failure, http, status) -> None:
    odoo.version = "19.0"
    api = Api(make_app(odoo_timeout_seconds=1.0).test_client(), odoo)  # room for the mint when busy
    key = api.key(password=ADMIN_API_KEY, transport="json2")
    odoo.failure = failure
    try:
        response = api.call(key, "search", model="res.partner")
    finally:
        odoo.failure = None
    assert response.status_code == http and response.json["status"] == status


def test_json2_connections_are_reused(api, any_key, transport) -> None:
    for _ in range(3):
        api.result(any_key, "search_count", model="res.partner")
    idle = api.client.application.extensions["gateway"].json2._idle
    assert sum(len(v) for v in idle.values()) == (1 if transport == "json2" else 0)
