"""Upserts through HTTP: by external id (check_object_reference, then write or Model.load) and by domain."""

from __future__ import annotations

import pytest


def upsert(api, key, **arguments):
    return api.call(key, "upsert", **{"model": "res.partner", **arguments})


@pytest.mark.usefixtures("transport")
def test_external_id_creates_then_updates_the_same_record(api, any_key, odoo) -> None:
    first = upsert(api, any_key, external_id="crm_contact_42",
                   values={"name": "Upsert Ltd", "is_company": True, "parent_id": 2, "category_id": [1, 2],
                           "color": 3, "email": False})
    assert first.status_code == 200, first.json
    created = first.json["result"]
    assert created["status"] == "created" and created["model"] == "res.partner"
    stored = {r["id"]: r for r in odoo.records("demo", "res.partner")}[created["id"]]
    kept = [stored[name] for name in ("name", "is_company", "parent_id", "category_id", "color")]
    assert kept == ["Upsert Ltd", True, 2, [1, 2], 3]
    xids = [r for r in odoo.records("demo", "ir.model.data") if r["name"] == "crm_contact_42"]
    bound = [(x["module"], x["model"], x["res_id"]) for x in xids]
    assert bound == [("__import__", "res.partner", created["id"])]
    again = upsert(api, any_key, external_id="__import__.crm_contact_42", values={"name": "Upsert SA"})
    assert again.json["result"] == {"id": created["id"], "status": "updated", "model": "res.partner"}
    assert {r["id"]: r["name"] for r in odoo.records("demo", "res.partner")}[created["id"]] == "Upsert SA"


def test_an_existing_external_id_is_written(api, admin_key, odoo) -> None:
    answer = upsert(api, admin_key, external_id="base.main_partner", values={"city": "Leuven"})
    assert answer.json["result"]["id"] == 1 and answer.json["result"]["status"] == "updated"
    assert [c.model_method for c in api.odoo_calls()] == ["check_object_reference", "write"]


def test_an_external_id_of_another_model_is_a_409(api, admin_key) -> None:
    answer = upsert(api, admin_key, external_id="base.main_company", values={"name": "X"})
    assert answer.status_code == 409 and answer.json["status"] == "conflict"
    assert "res.company" in answer.json["error"]
    assert [c.model_method for c in api.odoo_calls()] == ["check_object_reference"]


def test_a_bad_value_is_odoos_message_and_nothing_is_created(api, admin_key, odoo) -> None:
    before = len(odoo.records("demo", "res.partner"))
    answer = upsert(api, admin_key, external_id="x1", values={"name": "Bad", "type": "nowhere"})
    assert answer.status_code == 422 and "Value 'nowhere' not found" in answer.json["error"]
    assert answer.json["details"]["messages"][0]["field"] == "type"
    assert len(odoo.records("demo", "res.partner")) == before


def test_a_non_admin_user_upserts_by_external_id(api, odoo) -> None:
    key = api.key(username="restricted", password="restricted", scope="res.partner:RW")
    made = upsert(api, key, external_id="shop.customer_7", values={"name": "Shop Customer"})
    assert made.status_code == 200 and made.json["result"]["status"] == "created"
    again = upsert(api, key, external_id="shop.customer_7", values={"phone": "123"})
    assert again.json["result"] == {**made.json["result"], "status": "updated"}


def test_match_updates_the_one_record_or_creates_one(api, admin_key, odoo) -> None:
    found = upsert(api, admin_key, match=[["email", "=", "joel.willis63@example.com"]],
                   values={"city": "Gent"})
    assert found.json["result"] == {"id": 10, "status": "updated", "model": "res.partner"}
    made = upsert(api, admin_key, match=[["email", "=", "new@example.com"]],
                  values={"name": "New", "email": "new@example.com"})
    assert made.json["result"]["status"] == "created"
    again = upsert(api, admin_key, match=[["email", "=", "new@example.com"]], values={"phone": "1"})
    assert again.json["result"] == {**made.json["result"], "status": "updated"}


def test_a_match_of_several_records_is_a_409_and_nothing_is_written(api, admin_key) -> None:
    answer = upsert(api, admin_key, match=[["is_company", "=", True]], values={"city": "X"})
    assert answer.status_code == 409 and answer.json["status"] == "conflict"
    assert len(answer.json["details"]["ids"]) == 2 and answer.json["request_id"]
    assert [c.model_method for c in api.odoo_calls()] == ["search"]


@pytest.mark.parametrize("arguments", [
    {"values": {"name": "x"}},
    {"values": {"name": "x"}, "match": [], },
    {"values": {"name": "x"}, "match": [["id", "=", 1]], "external_id": "a.b"},
    {"values": {}, "external_id": "a.b"},
    {"values": {"name": "x"}, "external_id": "bad id!"},
])
def test_bad_arguments_are_400_before_odoo(api, admin_key, arguments) -> None:
    answer = upsert(api, admin_key, **arguments)
    assert answer.status_code == 400, answer.json
    assert not api.odoo_calls()


def test_upsert_needs_w_and_r(api) -> None:
    for scope in ("res.partner:W", "res.partner:R"):
        key = api.key(scope=scope)
        answer = upsert(api, key, match=[["id", "=", 1]], values={"name": "x"})
        assert answer.status_code == 403 and "res.partner:WR" in answer.json["error"]
    assert not api.odoo_calls()


def test_new_tools_are_listed_and_counted_in_metrics(api, admin_key, client) -> None:
    listed = {tool["name"]: tool for tool in client.get("/tools/list").json["tools"]}
    assert listed["upsert"]["permission"] == "W" and listed["changes"]["permission"] == "R"
    assert {"external_id", "match", "values"} <= listed["upsert"]["inputSchema"]["properties"].keys()
    upsert(api, admin_key, match=[["is_company", "=", True]], values={"city": "X"})
    api.call(admin_key, "changes", model="res.partner", limit=1)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'gateway_requests_total{endpoint="/tools/call",status="409",tool="upsert"} 1.0' in text
    assert 'gateway_requests_total{endpoint="/tools/call",status="200",tool="changes"} 1.0' in text
