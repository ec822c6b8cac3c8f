"""/mcp as a protocol: negotiation, JSON-RPC errors, notifications, batches, headers, auth."""

from __future__ import annotations

import pytest

from tests.mcp_rpc import INIT_PARAMS, Rpc


@pytest.fixture
def rpc(client, admin_key) -> Rpc:
    return Rpc(client, admin_key)


def rpc_error(response, http_status: int, code: int, message_id=None) -> dict:
    assert response.status_code == http_status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["jsonrpc"] == "2.0" and "result" not in body
    assert body["id"] == message_id
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize(("requested", "answered"), [
    ("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"),
    ("2024-11-05", "2025-11-25"), ("2099-01-01", "2025-11-25"),
])
def test_initialize_negotiates_the_version(rpc, requested, answered) -> None:
    result = rpc.result("initialize", {**INIT_PARAMS, "protocolVersion": requested})
    assert result["protocolVersion"] == answered
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == "odoo-gateway"
    assert "*:RWD" in result["instructions"]


def test_initialize_is_stateless_and_issues_no_session(rpc) -> None:
    response = rpc.request("initialize", INIT_PARAMS)
    assert response.status_code == 200 and "Mcp-Session-Id" not in response.headers
    assert rpc.result("ping") == {}  # any later request stands alone


def test_initialize_needs_a_protocol_version(rpc) -> None:
    error = rpc_error(rpc.request("initialize", {"capabilities": {}}), 200, -32602, 1)
    assert "protocolVersion" in error["message"]


@pytest.mark.parametrize("method", ["notifications/initialized", "notifications/cancelled",
                                    "notifications/whatever"])
def test_notifications_are_accepted_without_a_body(rpc, odoo, method) -> None:
    response = rpc.post({"jsonrpc": "2.0", "method": method, "params": {}})
    assert response.status_code == 202
    assert response.get_data() == b"" and "Content-Type" not in response.headers
    assert odoo.calls == []


def test_a_client_response_is_accepted(rpc) -> None:
    assert rpc.post({"jsonrpc": "2.0", "id": 7, "result": {}}).status_code == 202


@pytest.mark.parametrize("method", ["resources/list", "prompts/list", "no/such/method"])
def test_unknown_method_is_32601(rpc, method) -> None:
    error = rpc_error(rpc.request(method), 200, -32601, 1)
    assert method in error["message"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"jsonrpc": "2.0", "id": 1,'])
def test_malformed_json_is_32700(rpc, body) -> None:
    rpc_error(rpc.post(body, raw=True), 400, -32700)


@pytest.mark.parametrize(("message", "echoed"), [
    ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, 1),
    ({"id": 1, "method": "ping"}, 1),
    ({"jsonrpc": "2.0", "id": None, "method": "ping"}, None),
    ({"jsonrpc": "2.0", "id": True, "method": "ping"}, None),
    ({"jsonrpc": "2.0", "id": [1], "method": "ping"}, None),
    ({"jsonrpc": "2.0", "id": 1, "method": 5}, 1),
    ({"jsonrpc": "2.0", "id": 1}, 1),
    ("ping", None),
    (42, None),
])
def test_invalid_messages_are_32600(rpc, message, echoed) -> None:
    rpc_error(rpc.post(message), 400, -32600, echoed)


def test_params_must_be_an_object(rpc) -> None:
    rpc_error(rpc.post({"jsonrpc": "2.0", "id": "a", "method": "ping", "params": [1]}), 200, -32602, "a")


def test_string_ids_are_echoed(rpc) -> None:
    response = rpc.post({"jsonrpc": "2.0", "id": "req-1", "method": "ping"})
    assert response.json == {"jsonrpc": "2.0", "id": "req-1", "result": {}}


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_batches_are_refused_from_2025_06_18(rpc, odoo, version) -> None:
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}]
    error = rpc_error(rpc.post(batch, {"MCP-Protocol-Version": version}), 400, -32600)
    assert "batches" in error["message"]


def test_batches_are_answered_at_2025_03_26(rpc) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "no/such"},
        {"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": INIT_PARAMS},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
         "params": {"name": "search_count", "arguments": {"model": "res.partner"}}},
    ]
    for headers in ({}, {"MCP-Protocol-Version": "2025-03-26"}):  # no header means 2025-03-26
        response = rpc.post(batch, headers)
        assert response.status_code == 200
        answers = {answer["id"]: answer for answer in response.json}
        assert set(answers) == {1, 2, 3, 4}  # the notification gets no answer
        assert answers[1]["result"] == {}
        assert answers[2]["error"]["code"] == -32601
        assert answers[3]["error"]["code"] == -32600  # initialize must not be batched
        assert answers[4]["result"]["structuredContent"]["count"] > 0


def test_a_batch_of_notifications_is_accepted(rpc) -> None:
    assert rpc.post([{"jsonrpc": "2.0", "method": "notifications/initialized"}]).status_code == 202


def test_an_empty_batch_is_32600(rpc) -> None:
    rpc_error(rpc.post([]), 400, -32600)


def test_unsupported_protocol_version_header_is_400(rpc, odoo) -> None:
    response = rpc.request("tools/list", **{"MCP-Protocol-Version": "2024-11-05"})
    error = rpc_error(response, 400, -32600, 1)
    assert error["data"]["supported"] == ["2025-11-25", "2025-06-18", "2025-03-26"]


def test_initialize_negotiates_even_with_an_unknown_version_header(rpc) -> None:
    response = rpc.request("initialize", INIT_PARAMS, **{"MCP-Protocol-Version": "2099-01-01"})
    assert response.json["result"]["protocolVersion"] == "2025-06-18"


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
def test_supported_protocol_version_headers_pass(rpc, version) -> None:
    assert rpc.request("ping", **{"MCP-Protocol-Version": version}).json["result"] == {}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"X-API-Key": "nope"},
                                     {"Authorization": "Bearer nope"}])
def test_no_valid_key_is_401_with_a_jsonrpc_error(client, odoo, headers) -> None:
    response = Rpc(client, None).request("initialize", INIT_PARAMS, **headers)
    error = rpc_error(response, 401, -32001, 1)
    assert error["data"]["status"] == "auth_failed" and error["data"]["request_id"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert odoo.calls == []


def test_no_key_on_a_notification_is_401_too(client) -> None:
    response = Rpc(client, None).post({"jsonrpc": "2.0", "method": "notifications/initialized"})
    rpc_error(response, 401, -32001)


def test_the_key_may_come_in_x_api_key(client, admin_key) -> None:
    response = Rpc(client, None).request("ping", **{"X-API-Key": admin_key})
    assert response.json["result"] == {}


def test_an_expired_key_is_401_key_expired(client, api, monkeypatch) -> None:
    key = api.key(expires_in=60)
    import app.core.access.keys as keys

    real = keys.time.time
    monkeypatch.setattr(keys.time, "time", lambda: real() + 120)
    error = rpc_error(Rpc(client, key).request("ping"), 401, -32001, 1)
    assert error["data"]["status"] == "key_expired"


def test_get_has_no_event_stream(client, admin_key) -> None:
    response = client.get("/mcp", headers={"Authorization": f"Bearer {admin_key}",
                                           "Accept": "text/event-stream"})
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert client.delete("/mcp").status_code == 405  # stateless: no session to end


def test_a_client_that_accepts_only_event_streams_is_406(rpc) -> None:
    response = rpc.request("ping", Accept="text/event-stream")
    rpc_error(response, 406, -32600)
    both = rpc.request("ping", Accept="application/json, text/event-stream")
    assert both.status_code == 200


def test_a_foreign_origin_is_403(rpc, odoo) -> None:
    rpc_error(rpc.request("ping", Origin="https://evil.example"), 403, -32600)


def test_allowed_origins_pass(make_app, api) -> None:
    client = make_app(mcp_allowed_origins=("https://app.example",)).test_client()
    api.client = client
    rpc = Rpc(client, api.key())
    assert rpc.request("ping", Origin="https://app.example").status_code == 200
    assert rpc.request("ping", Origin="https://other.example").status_code == 403


def test_oversize_body_is_413(make_app, api, odoo) -> None:
    client = make_app(max_body_bytes=1000).test_client()
    api.client = client
    rpc = Rpc(client, api.key())
    odoo.clear_calls()
    response = rpc.request("tools/call", {"name": "search", "arguments": {
        "model": "res.partner", "domain": [["name", "=", "x" * 50]] * 30}})
    error = rpc_error(response, 413, -32600)
    assert "MAX_BODY_BYTES" in error["message"] and odoo.calls == []


def test_the_log_line_names_the_method_never_the_key(rpc, admin_key, gateway_logs) -> None:
    rpc.tool("search_count", model="res.partner")
    line = next(line for line in gateway_logs if "POST /mcp" in line)
    assert "mcp=tools/call" in line and "tool=search_count" in line and "model=res.partner" in line
    assert admin_key not in "\n".join(gateway_logs)
