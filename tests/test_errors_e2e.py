"""Every error status of the contract, through HTTP; bad requests never reach Odoo."""

from __future__ import annotations

import pytest


def assert_error(response, http: int, status: str) -> dict:
    assert response.status_code == http, response.json
    assert response.is_json
    body = response.json
    assert body["status"] == status and body["error"] and body["request_id"]
    assert response.headers["X-Request-ID"] == body["request_id"]
    assert "Traceback" not in body["error"] and 'File "' not in body["error"]
    return body


BAD_ARGUMENTS = [
    ("search", {}),  # model missing
    ("search", {"model": "res.partner", "nope": 1}),  # unknown argument
    ("search", {"model": "Res Partner"}),
    ("search", {"model": 5}),
    ("search", {"model": "res.partner", "domain": "[]"}),
    ("search", {"model": "res.partner", "domain": [["name", "=", "x"], "&"]}),
    ("search", {"model": "res.partner", "domain": ["&", ["name", "=", "x"]]}),
    ("search", {"model": "res.partner", "domain": ["|"]}),
    ("search", {"model": "res.partner", "domain": [["name", "badop", "x"]]}),
    ("search", {"model": "res.partner", "domain": [["name", "="]]}),
    ("search", {"model": "res.partner", "domain": [["na me", "=", 1]]}),
    ("search", {"model": "res.partner", "domain": [{"name": "x"}]}),
    ("search", {"model": "res.partner", "domain": ["and"]}),
    ("search", {"model": "res.partner", "limit": 0}),
    ("search", {"model": "res.partner", "limit": 1001}),
    ("search", {"model": "res.partner", "limit": 5.5}),
    ("search", {"model": "res.partner", "limit": True}),
    ("search", {"model": "res.partner", "offset": -1}),
    ("search", {"model": "res.partner", "order": "name; drop table"}),
    ("search", {"model": "res.partner", "context": []}),
    ("read", {"model": "res.partner"}),
    ("read", {"model": "res.partner", "ids": []}),
    ("read", {"model": "res.partner", "ids": [0]}),
    ("read", {"model": "res.partner", "ids": [-3]}),
    ("read", {"model": "res.partner", "ids": [2**31]}),
    ("read", {"model": "res.partner", "ids": ["x"]}),
    ("read", {"model": "res.partner", "ids": list(range(1, 1002))}),
    ("read", {"model": "res.partner", "ids": [1], "fields": "name"}),
    ("read", {"model": "res.partner", "ids": [1], "domain": []}),
    ("fields_get", {"model": "res.partner", "attributes": "string"}),
    ("create", {"model": "res.partner"}),
    ("create", {"model": "res.partner", "values": {}}),
    ("create", {"model": "res.partner", "values": []}),
    ("create", {"model": "res.partner", "values": [{"name": "a"}, 3]}),
    ("create", {"model": "res.partner", "values": "name=x"}),
    ("create", {"model": "res.partner", "values": [{"name": "a"}] * 1001}),
    ("create", {"model": "res.partner", "values": {"bad name": 1}}),
    ("write", {"model": "res.partner", "ids": [1]}),
    ("write", {"model": "res.partner", "ids": [1], "values": {}}),
    ("write", {"model": "res.partner", "values": {"name": "x"}}),
    ("write", {"model": "res.partner", "ids": [1], "values": [{"name": "x"}]}),
    ("unlink", {"model": "res.partner"}),
    ("unlink", {"model": "res.partner", "ids": [1], "values": {}}),
]


@pytest.mark.parametrize(("name", "arguments"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_before_odoo(api, admin_key, name, arguments) -> None:
    before = len(api.odoo.records("demo", "res.partner"))
    body = assert_error(api.call(admin_key, name, **arguments), 400, "invalid_request")
    assert body["details"]
    assert api.odoo.calls == []
    assert len(api.odoo.records("demo", "res.partner")) == before


@pytest.mark.parametrize(
    "body",
    ['[]', '"text"', '12', 'not json', '', '{"name": "search", "arguments": []}',
     '{"arguments": {}}', '{"name": "search", "arguments": {}, "extra": 1}', '{"name": 3}'],
)
def test_bad_envelopes_are_400(api, admin_key, body) -> None:
    response = api.client.post("/tools/call", data=body, headers={"X-API-Key": admin_key})
    assert_error(response, 400, "invalid_request")
    assert api.odoo.calls == []


def test_unknown_tool_is_404_without_odoo(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "drop_database", model="res.partner"), 404,
                        "tool_not_found")
    assert "search_read" in body["error"]
    assert api.odoo.calls == []


@pytest.mark.parametrize(
    ("scope", "name", "arguments"),
    [
        ("*:R", "create", {"model": "res.partner", "values": {"name": "x"}}),
        ("*:R", "write", {"model": "res.partner", "ids": [1], "values": {"name": "x"}}),
        ("*:RW", "unlink", {"model": "res.partner", "ids": [1]}),
        ("res.partner:RWD", "search", {"model": "sale.order"}),
        ("*:RWD,res.partner:R", "write", {"model": "res.partner", "ids": [1], "values": {"a": 1}}),
        ("*:R,res.users:", "search_read", {"model": "res.users"}),
        ("sale.*:W", "search", {"model": "sale.order"}),
    ],
)
def test_scope_denial_is_403_without_odoo(api, scope, name, arguments) -> None:
    key = api.key(scope=scope)
    api.odoo.clear_calls()
    body = assert_error(api.call(key, name, **arguments), 403, "permission_denied")
    assert arguments["model"] in body["error"]
    assert api.odoo.calls == []


def test_scope_grant_reaches_odoo(api) -> None:
    key = api.key(scope="res.partner:W,*:R")
    response = api.call(key, "create", model="res.partner", values={"name": "Allowed"})
    assert response.status_code == 200


def test_check_order_key_before_body(api) -> None:
    assert_error(api.client.post("/tools/call", data="garbage"), 401, "auth_failed")


def test_check_order_arguments_before_scope(api) -> None:
    key = api.key(scope="res.partner:R")
    assert_error(api.call(key, "unlink", model="sale.order"), 400, "invalid_request")


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "garbage"}, {"Authorization": "Bearer garbage"},
     {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"X-API-Key": "gAAAAA" + "A" * 100}],
)
def test_missing_or_bad_key_is_401(api, headers) -> None:
    response = api.client.post("/tools/call", json={"name": "search", "arguments": {
        "model": "res.partner"}}, headers=headers)
    assert_error(response, 401, "auth_failed")
    assert api.odoo.calls == []


def test_tampered_key_is_401(api, admin_key) -> None:
    tampered = admin_key[:40] + ("A" if admin_key[40] != "A" else "B") + admin_key[41:]
    assert_error(api.call(tampered, "search", model="res.partner"), 401, "auth_failed")


def test_fault_1_answers_the_last_traceback_line(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "search_read", model="res.partner",
                                 fields=["nofield"]), 422, "odoo_error")
    assert body["error"] == "Invalid field 'nofield' on model 'res.partner'"


def test_unknown_field_in_domain(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "search", model="res.partner",
                                 domain=[["nofield", "=", "x"]]), 422, "odoo_error")
    assert "nofield" in body["error"] and "/usr/lib" not in body["error"]


def test_fault_2_validation_keeps_odoo_message(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "create", model="res.partner", values={"email": "x"}),
                        422, "odoo_error")
    assert body["error"] == "The operation cannot be completed: Contacts require a name"


def test_unknown_model_is_odoo_error(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "search", model="no.such.model"), 422, "odoo_error")
    assert body["error"] == "Object no.such.model doesn't exist"


@pytest.mark.parametrize("name", ["write", "unlink"])
def test_missing_record_is_404(api, admin_key, name) -> None:
    arguments = {"model": "res.partner", "ids": [999999]}
    if name == "write":
        arguments["values"] = {"name": "x"}
    body = assert_error(api.call(admin_key, name, **arguments), 404, "not_found")
    assert body["error"].startswith("Record does not exist or has been deleted.")


def test_odoo_access_error_is_403(api) -> None:
    key = api.key(username="portal", password="portal")
    body = assert_error(api.call(key, "search_read", model="res.partner"), 403,
                        "odoo_access_error")
    assert body["error"].startswith("Uh-oh!")


def test_restricted_user_cannot_create_groups(api) -> None:
    key = api.key(username="restricted", password="restricted")
    body = assert_error(api.call(key, "create", model="res.groups", values={"name": "x"}), 403,
                        "odoo_access_error")
    assert "res.groups" in body["error"]


def test_password_change_drops_the_session_and_answers_401(api, app) -> None:
    key = api.key()
    assert api.call(key, "search", model="res.partner").status_code == 200
    api.odoo.set_password("demo", "admin", "changed")
    assert_error(api.call(key, "search", model="res.partner"), 401, "auth_failed")
    assert app.extensions["gateway"].pool.stats()["size"] == 0
    api.odoo.clear_calls()
    assert_error(api.call(key, "search", model="res.partner"), 401, "auth_failed")
    assert [c.method for c in api.odoo.calls] == ["authenticate"]  # re-checked, refused again


def test_odoo_unreachable_is_502(api, admin_key) -> None:
    api.odoo.go_down()
    try:
        body = assert_error(api.call(admin_key, "search", model="res.partner"), 502,
                            "connection_failed")
        assert "Errno" not in body["error"] and "refused" not in body["error"].lower()
    finally:
        api.odoo.come_back()
    assert api.call(admin_key, "search", model="res.partner").status_code == 200


@pytest.mark.parametrize("mode", ["non_xml", "http_500", "reset"])
def test_odoo_garbage_is_502(api, admin_key, mode) -> None:
    api.odoo.failure = mode
    assert_error(api.call(admin_key, "search", model="res.partner"), 502, "connection_failed")
    api.odoo.failure = None
    assert api.call(admin_key, "search", model="res.partner").status_code == 200


def test_odoo_hang_is_504_within_the_timeout(odoo, api, make_app) -> None:
    client = make_app(odoo_timeout_seconds=1.5).test_client()  # room for the mint on a busy machine
    api.client = client
    key = api.key()
    odoo.failure = "hang"
    try:
        body = assert_error(api.call(key, "search", model="res.partner"), 504, "odoo_timeout")
        assert "1.5 seconds" in body["error"]
    finally:
        odoo.failure = None


def test_unknown_route_and_method_are_json(client) -> None:
    assert_error(client.get("/nowhere"), 404, "not_found")
    response = client.get("/tools/call")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_error(client.put("/auth/generate"), 405, "method_not_allowed")


def test_oversize_body_is_413(api, admin_key, make_app) -> None:
    client = make_app(max_body_bytes=1000).test_client()
    body = '{"name": "search", "arguments": {"model": "res.partner", "domain": ['
    body += ",".join(['["name", "=", "xxxxxxxxxx"]'] * 100) + "]}}"
    response = client.post("/tools/call", data=body, headers={"X-API-Key": admin_key})
    assert_error(response, 413, "payload_too_large")
    assert api.odoo.calls == []


def test_request_id_from_caller_is_echoed(client) -> None:
    response = client.get("/nowhere", headers={"X-Request-ID": "abc-123"})
    assert response.json["request_id"] == "abc-123"
    assert response.headers["X-Request-ID"] == "abc-123"


def test_huge_numbers_in_a_domain_are_400(api, admin_key) -> None:
    body = assert_error(api.call(admin_key, "search", model="res.partner",
                                 domain=[["id", "=", 10**20]]), 400, "invalid_request")
    assert "too large" in body["error"]
    assert api.odoo_calls() == []


def test_a_bug_is_a_plain_500_with_the_traceback_only_in_the_log(api, admin_key, monkeypatch,
                                                                 gateway_logs) -> None:
    from app.core import tools

    def broken(odoo, arguments):
        raise RuntimeError("boom in the gateway")

    registry = api.client.application.extensions["gateway"].registry
    monkeypatch.setitem(registry._tools, "search", tools.Tool("search", "R", "x", tools.SearchArgs,
                                                               broken))
    body = assert_error(api.call(admin_key, "search", model="res.partner"), 500, "internal_error")
    assert "boom" not in body["error"]
    logged = "\n".join(gateway_logs)
    assert "boom in the gateway" in logged and body["request_id"] in logged
