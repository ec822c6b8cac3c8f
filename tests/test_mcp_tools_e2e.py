"""/mcp's tools: the REST registry, hints from scope letters, results and errors as tool results."""

from __future__ import annotations

import json

import pytest

from app.api.mcp import mcp_tool
from tests.mcp_rpc import Rpc

READS = {"search", "read", "search_read", "search_count", "fields_get", "default_get", "name_search",
         "read_group", "changes", "list_attachments", "download_file", "get_report", "read_messages"}


@pytest.fixture
def rpc(client, admin_key) -> Rpc:
    return Rpc(client, admin_key)


def keyed(api, scope: str) -> Rpc:
    return Rpc(api.client, api.key(scope=scope))


def tool_error(result: dict, status: str) -> dict:
    assert result["isError"] is True
    assert result["structuredContent"]["status"] == status
    assert result["structuredContent"]["request_id"]
    assert result["content"] == [{"type": "text",
                                  "text": f"{status}: {result['structuredContent']['error']}"}]
    return result["structuredContent"]


def test_every_rest_tool_is_listed_with_the_same_schema(api, client) -> None:
    rest = {tool["name"]: tool for tool in client.get("/tools/list").json["tools"]}
    listed = {tool["name"]: tool for tool in keyed(api, "*:RWDX").result("tools/list")["tools"]}
    assert set(listed) == set(rest)  # *:RWDX grants every letter
    for name, tool in listed.items():
        assert tool["inputSchema"] == rest[name]["inputSchema"]
        assert tool["inputSchema"]["type"] == "object"
        assert tool["description"].startswith(rest[name]["description"])


@pytest.mark.parametrize(("name", "hints"), [
    ("search_read", {"readOnlyHint": True}),
    ("create", {"readOnlyHint": False, "destructiveHint": False}),
    ("write", {"readOnlyHint": False, "destructiveHint": False}),
    ("unlink", {"readOnlyHint": False, "destructiveHint": True}),
])
def test_hints_follow_the_scope_letter(rpc, name, hints) -> None:
    tools = {tool["name"]: tool for tool in rpc.result("tools/list")["tools"]}
    assert tools[name]["annotations"] == hints


def test_an_unknown_letter_gets_conservative_hints() -> None:
    entry = {"name": "call", "description": "Run a method.", "permission": "X",
             "inputSchema": {"type": "object"}}
    assert mcp_tool(entry)["annotations"] == {"readOnlyHint": False, "destructiveHint": True}


@pytest.mark.parametrize(("scope", "expected"), [
    ("*:R", READS),
    ("*:R,res.partner:RW", READS | {"create", "write", "upsert", "attach_file", "post_message"}),
    ("res.partner:W", {"create", "write", "upsert", "attach_file", "post_message"}),
    ("sale.*:D,*:R", READS | {"unlink"}),
    ("*:RWD,res.users:", READS | {"create", "write", "unlink", "upsert", "attach_file", "post_message"}),
    ("sale.order:X(action_confirm),*:R", READS | {"call", "run_wizard"}),
    ("res.users:", set()),
])
def test_the_listing_hides_tools_the_scope_never_grants(api, scope, expected) -> None:
    assert keyed(api, scope).tool_names() == expected


def test_a_call_answers_the_rest_result(api, rpc, admin_key) -> None:
    arguments = {"model": "res.partner", "fields": ["name"], "limit": 3, "order": "id desc"}
    result = rpc.tool("search_read", **arguments)
    rest = api.result(admin_key, "search_read", **arguments)
    assert result["isError"] is False
    assert result["structuredContent"] == rest and rest["count"] == 3
    assert result["content"][0]["type"] == "text"
    assert json.loads(result["content"][0]["text"]) == rest


def test_a_write_tool_reaches_odoo(rpc, odoo) -> None:
    created = rpc.tool("create", model="res.partner", values={"name": "Through MCP"})
    assert created["structuredContent"]["status"] == "created"
    new_id = created["structuredContent"]["id"]
    stored = {record["id"]: record for record in odoo.records("demo", "res.partner")}
    assert stored[new_id]["name"] == "Through MCP"


def test_a_denied_scope_is_a_tool_error_without_odoo(api, odoo) -> None:
    rpc = keyed(api, "*:R")
    odoo.clear_calls()
    result = rpc.tool("unlink", model="res.partner", ids=[1])
    body = tool_error(result, "permission_denied")
    assert "'res.partner:D'" in body["error"]
    assert api.odoo_calls() == []


@pytest.mark.parametrize("arguments", [
    {}, {"model": "res.partner", "limit": 0}, {"model": "res.partner", "domain": "bad"},
    {"model": "res.partner", "surprise": 1}, {"model": "Not A Model"},
])
def test_bad_arguments_are_a_tool_error_without_odoo(api, rpc, odoo, arguments) -> None:
    odoo.clear_calls()
    body = tool_error(rpc.tool("search", **arguments), "invalid_request")
    assert body["error"].startswith("Invalid arguments for tool 'search'")
    assert api.odoo_calls() == []


def test_arguments_that_are_not_an_object_are_a_tool_error(rpc) -> None:
    result = rpc.result("tools/call", {"name": "search", "arguments": ["res.partner"]})
    tool_error(result, "invalid_request")


def test_missing_arguments_mean_an_empty_object(rpc) -> None:
    tool_error(rpc.result("tools/call", {"name": "search"}), "invalid_request")


def test_an_odoo_error_is_a_tool_error(rpc) -> None:
    body = tool_error(rpc.tool("create", model="res.partner", values={"email": "x"}), "odoo_error")
    assert body["error"] == "The operation cannot be completed: Contacts require a name"


def test_odoo_down_is_a_tool_error(rpc, odoo) -> None:
    odoo.go_down()
    try:
        tool_error(rpc.tool("search", model="res.partner"), "connection_failed")
    finally:
        odoo.come_back()
    assert rpc.tool("search", model="res.partner")["isError"] is False


def test_a_password_change_is_a_tool_error(rpc, odoo) -> None:
    odoo.set_password("demo", "admin", "changed")
    tool_error(rpc.tool("search", model="res.partner"), "auth_failed")


def test_an_unknown_tool_is_32602(rpc, odoo) -> None:
    response = rpc.request("tools/call", {"name": "drop_database", "arguments": {}})
    error = response.json["error"]
    assert response.status_code == 200 and error["code"] == -32602
    assert error["data"]["status"] == "tool_not_found" and odoo.calls == []


@pytest.mark.parametrize("params", [{}, {"name": 5}, {"name": ""}])
def test_a_call_without_a_name_is_32602(rpc, params) -> None:
    assert rpc.request("tools/call", params).json["error"]["code"] == -32602


def test_an_unknown_cursor_is_32602(rpc) -> None:
    assert rpc.request("tools/list", {"cursor": "page-2"}).json["error"]["code"] == -32602


def test_a_bug_is_a_logged_tool_error(app, rpc, monkeypatch, gateway_logs) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["gateway"], "call", broken)
    body = tool_error(rpc.tool("search", model="res.partner"), "internal_error")
    assert "boom" not in body["error"]
    assert any("boom" in line for line in gateway_logs)
