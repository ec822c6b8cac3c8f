"""Every tool end to end through HTTP against the Odoo double: answers and exact execute_kw calls."""

from __future__ import annotations

import pytest


def test_search(api, admin_key) -> None:
    result = api.result(admin_key, "search", model="res.partner",
                        domain=[["is_company", "=", True]], limit=2, offset=1, order="name asc")
    assert result["model"] == "res.partner"
    assert result["count"] == len(result["ids"]) == 2
    (call,) = api.odoo_calls("search")
    assert call.args == [[["is_company", "=", True]]]
    assert call.kwargs == {"offset": 1, "limit": 2, "order": "name asc"}


def test_search_defaults(api, admin_key) -> None:
    api.result(admin_key, "search", model="res.partner")
    (call,) = api.odoo_calls("search")
    assert call.args == [[]]
    assert call.kwargs == {"offset": 0, "limit": 100}


def test_read_returns_only_existing_records(api, admin_key) -> None:
    ids = api.result(admin_key, "search", model="res.partner", limit=2)["ids"]
    result = api.result(admin_key, "read", model="res.partner", ids=[*ids, 999999],
                        fields=["name", "parent_id"])
    assert result["count"] == 2 and result["model"] == "res.partner"
    assert {r["id"] for r in result["records"]} == set(ids)
    assert all(set(r) == {"id", "name", "parent_id"} for r in result["records"])
    (call,) = api.odoo_calls("read")
    assert call.args == [[*ids, 999999]] and call.kwargs == {"fields": ["name", "parent_id"]}


def test_search_read_shapes_many2one_and_false(api, admin_key) -> None:
    result = api.result(admin_key, "search_read", model="res.partner",
                        domain=[["parent_id", "!=", False]], fields=["name", "parent_id", "email"],
                        limit=5)
    assert result["count"] == len(result["records"]) >= 1
    for record in result["records"]:
        parent = record["parent_id"]
        assert isinstance(parent, list) and isinstance(parent[0], int) and isinstance(parent[1], str)
    (call,) = api.odoo_calls("search_read")
    assert call.args == [[["parent_id", "!=", False]]]
    assert call.kwargs == {"fields": ["name", "parent_id", "email"], "offset": 0, "limit": 5}


def test_search_count(api, admin_key) -> None:
    everyone = api.result(admin_key, "search_count", model="res.partner")["count"]
    companies = api.result(admin_key, "search_count", model="res.partner",
                           domain=[["is_company", "=", True]])
    assert companies == {"count": companies["count"], "model": "res.partner"}
    assert 0 < companies["count"] < everyone
    assert api.odoo_calls("search_count")[-1].args == [[["is_company", "=", True]]]


def test_fields_get_sends_allfields_and_attributes(api, admin_key) -> None:
    result = api.result(admin_key, "fields_get", model="res.partner", fields=["name", "parent_id"],
                        attributes=["string", "type", "relation"])
    assert result["count"] == 2 and set(result["fields"]) == {"name", "parent_id"}
    assert result["fields"]["parent_id"]["relation"] == "res.partner"
    (call,) = api.odoo_calls("fields_get")
    assert call.args == []
    assert call.kwargs == {"allfields": ["name", "parent_id"],
                           "attributes": ["string", "type", "relation"]}


def test_fields_get_all(api, admin_key) -> None:
    result = api.result(admin_key, "fields_get", model="res.partner")
    assert result["count"] == len(result["fields"]) > 10
    assert api.odoo_calls("fields_get")[0].kwargs == {}


def test_default_get_named_fields(api, admin_key) -> None:
    result = api.result(admin_key, "default_get", model="res.partner",
                        fields=["type", "active", "name"])
    assert result == {"defaults": {"type": "contact", "active": True}, "model": "res.partner"}
    assert api.odoo_calls("default_get")[0].args == [["type", "active", "name"]]


def test_default_get_all_fields_asks_for_every_field(api, admin_key) -> None:
    defaults = api.result(admin_key, "default_get", model="res.partner")["defaults"]
    assert defaults["type"] == "contact" and defaults["lang"] == "en_US"
    names = api.odoo_calls("default_get")[0].args[0]
    assert "name" in names and "parent_id" in names


def test_create_one(api, admin_key) -> None:
    result = api.result(admin_key, "create", model="res.partner",
                        values={"name": "Gateway Test", "email": "gw@example.com"})
    assert result["status"] == "created" and result["model"] == "res.partner"
    assert isinstance(result["id"], int)
    assert api.odoo_calls("create")[0].args == [{"name": "Gateway Test", "email": "gw@example.com"}]
    stored = [r for r in api.odoo.records("demo", "res.partner") if r["id"] == result["id"]]
    assert stored and stored[0]["name"] == "Gateway Test"


def test_create_many(api, admin_key) -> None:
    result = api.result(admin_key, "create", model="res.partner.category",
                        values=[{"name": "VIP"}, {"name": "Late payer"}])
    assert result["count"] == 2 and len(result["ids"]) == 2 and result["status"] == "created"
    assert api.odoo_calls("create")[0].args == [[{"name": "VIP"}, {"name": "Late payer"}]]


def test_create_with_x2many_commands(api, admin_key) -> None:
    tag = api.result(admin_key, "create", model="res.partner.category", values={"name": "T"})["id"]
    new = api.result(admin_key, "create", model="res.partner",
                     values={"name": "Tagged", "category_id": [[6, 0, [tag]]]})["id"]
    record = api.result(admin_key, "read", model="res.partner", ids=[new],
                        fields=["category_id"])["records"][0]
    assert record["category_id"] == [tag]


def test_write(api, admin_key) -> None:
    ids = api.result(admin_key, "search", model="res.partner", limit=2)["ids"]
    result = api.result(admin_key, "write", model="res.partner", ids=ids, values={"phone": "+1 555"})
    assert result == {"success": True, "count": 2, "model": "res.partner", "status": "updated"}
    assert api.odoo_calls("write")[0].args == [ids, {"phone": "+1 555"}]
    phones = {r["id"]: r["phone"] for r in api.odoo.records("demo", "res.partner")}
    assert all(phones[i] == "+1 555" for i in ids)


def test_unlink(api, admin_key) -> None:
    new = api.result(admin_key, "create", model="res.partner", values={"name": "Doomed"})["id"]
    result = api.result(admin_key, "unlink", model="res.partner", ids=[new])
    assert result == {"success": True, "count": 1, "model": "res.partner", "status": "deleted"}
    assert api.odoo_calls("unlink")[0].args == [[new]]
    assert new not in {r["id"] for r in api.odoo.records("demo", "res.partner")}


def test_key_context_is_merged_with_call_context(api) -> None:
    key = api.key(context={"lang": "fr_FR", "tz": "Europe/Paris"})
    api.result(key, "search", model="res.partner", context={"lang": "de_DE", "active_test": False})
    (call,) = api.odoo_calls("search")
    assert call.kwargs["context"] == {"lang": "de_DE", "tz": "Europe/Paris", "active_test": False}


def test_active_test_context_reaches_odoo(api, admin_key) -> None:
    active = api.result(admin_key, "search_count", model="res.partner")["count"]
    everyone = api.result(admin_key, "search_count", model="res.partner",
                          context={"active_test": False})["count"]
    assert everyone > active


def test_body_without_content_type_is_read(api, admin_key) -> None:
    response = api.client.post(
        "/tools/call", data='{"name": "search_count", "arguments": {"model": "res.partner"}}',
        headers={"X-API-Key": admin_key, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json["result"]["count"] > 0


def test_bearer_header_is_accepted(api, admin_key) -> None:
    response = api.client.post("/tools/call", json={"name": "search", "arguments": {
        "model": "res.partner"}}, headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200


def test_databases_do_not_mix(api) -> None:
    demo = api.key()
    other = api.key(database="other", password="admin-other")
    names_demo = {r["name"] for r in api.result(demo, "search_read", model="res.partner",
                                                fields=["name"])["records"]}
    names_other = {r["name"] for r in api.result(other, "search_read", model="res.partner",
                                                 fields=["name"])["records"]}
    assert names_demo != names_other
    assert {c.db for c in api.odoo_calls("search_read")} == {"demo", "other"}


def test_tools_list_describes_every_tool(client) -> None:
    for response in (client.get("/tools/list"), client.post("/tools/list")):
        tools = {t["name"]: t for t in response.json["tools"]}
        assert set(tools) == {"search", "read", "search_read", "search_count", "fields_get",
                              "default_get", "create", "write", "unlink", "name_search",
                              "read_group", "call", "changes", "upsert", "attach_file",
                              "list_attachments", "download_file", "get_report", "post_message",
                              "read_messages", "run_wizard"}
        assert {n: t["permission"] for n, t in tools.items() if t["permission"] != "R"} == {
            "create": "W", "write": "W", "unlink": "D", "call": "X", "upsert": "W", "attach_file": "W",
            "post_message": "W", "run_wizard": "X"}
        for tool in tools.values():
            schema = tool["inputSchema"]
            assert schema["type"] == "object" and "model" in schema["required"]
            assert schema["additionalProperties"] is False and tool["description"]
        assert set(tools["read"]["inputSchema"]["required"]) == {"model", "ids"}


@pytest.mark.parametrize("name", ["search", "search_read"])
def test_limit_default_and_max(api, admin_key, name) -> None:
    api.result(admin_key, name, model="res.partner", limit=1000)
    assert api.odoo_calls(name)[0].kwargs["limit"] == 1000
