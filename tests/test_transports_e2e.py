"""Every seed tool over both transports (XML-RPC and JSON-2): the same answers, the same arguments."""

from __future__ import annotations


def test_search(api, any_key) -> None:
    result = api.result(any_key, "search", model="res.partner",
                        domain=[["is_company", "=", True]], limit=2, offset=1, order="name asc")
    assert result == {"ids": [6, 8], "count": 2, "model": "res.partner"}
    assert api.odoo.sent("search") == [
        {"domain": [["is_company", "=", True]], "offset": 1, "limit": 2, "order": "name asc"}]


def test_read(api, any_key) -> None:
    result = api.result(any_key, "read", model="res.partner", ids=[4, 999999],
                        fields=["name", "parent_id"])
    assert result == {"records": [{"id": 4, "name": "Brandon Freeman", "parent_id": [2, "Azure Interior"]}],
                      "count": 1, "model": "res.partner"}
    assert api.odoo.sent("read") == [{"ids": [4, 999999], "fields": ["name", "parent_id"]}]


def test_search_read(api, any_key) -> None:
    result = api.result(any_key, "search_read", model="res.partner",
                        domain=[["city", "=", "Fremont"]], fields=["name"])
    assert result == {"records": [{"id": 2, "name": "Azure Interior"}], "count": 1, "model": "res.partner"}
    assert api.odoo.sent("search_read") == [
        {"domain": [["city", "=", "Fremont"]], "fields": ["name"], "offset": 0, "limit": 100}]


def test_search_count(api, any_key) -> None:
    result = api.result(any_key, "search_count", model="res.partner", domain=[["is_company", "=", True]])
    assert result == {"count": 5, "model": "res.partner"}
    assert api.odoo.sent("search_count") == [{"domain": [["is_company", "=", True]]}]


def test_fields_get(api, any_key) -> None:
    result = api.result(any_key, "fields_get", model="res.partner", fields=["parent_id"],
                        attributes=["type", "relation"])
    assert result == {"fields": {"parent_id": {"type": "many2one", "relation": "res.partner"}},
                      "count": 1, "model": "res.partner"}
    assert api.odoo.sent("fields_get") == [{"allfields": ["parent_id"], "attributes": ["type", "relation"]}]


def test_default_get(api, any_key) -> None:
    result = api.result(any_key, "default_get", model="res.partner", fields=["type", "name"])
    assert result == {"defaults": {"type": "contact"}, "model": "res.partner"}
    assert api.odoo.sent("default_get") == [{"fields": ["type", "name"]}]


def test_create_write_unlink(api, any_key) -> None:
    created = api.result(any_key, "create", model="res.partner", values={"name": "Both Ways"})
    assert created["status"] == "created" and isinstance(created["id"], int)
    new = created["id"]
    assert api.result(any_key, "write", model="res.partner", ids=[new], values={"city": "Ghent"}) == {
        "success": True, "count": 1, "model": "res.partner", "status": "updated"}
    assert api.result(any_key, "unlink", model="res.partner", ids=[new])["status"] == "deleted"
    assert [api.odoo.sent(m) for m in ("create", "write", "unlink")] == [
        [{"vals_list": {"name": "Both Ways"}}], [{"ids": [new], "vals": {"city": "Ghent"}}],
        [{"ids": [new]}]]
    assert new not in {r["id"] for r in api.odoo.records("demo", "res.partner")}


def test_create_many(api, any_key) -> None:
    result = api.result(any_key, "create", model="res.partner.category",
                        values=[{"name": "A"}, {"name": "B"}])
    assert result["count"] == 2 and len(set(result["ids"])) == 2


def test_json2_calls_carry_the_api_key_and_database(api, transport, any_key) -> None:
    api.result(any_key, "search_count", model="res.partner")
    (call,) = [c for c in api.odoo.calls if c.model_method == "search_count"]
    assert call.service == ("json2" if transport == "json2" else "object")
    assert call.db == "demo" and call.uid == 2
