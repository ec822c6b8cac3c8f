"""The sandbox answers write_date, ir.model.data and Model.load as Odoo 18 does (ODOO_AUTOMATION_FACTS.md)."""

from __future__ import annotations

import xmlrpc.client

import pytest


@pytest.fixture
def ex(odoo):
    proxy = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object")

    def run(model, method, *args, login=("admin", 2, "admin"), **kwargs):
        _, uid, password = login
        return proxy.execute_kw("demo", uid, password, model, method, list(args), kwargs)

    yield run
    proxy("close")()


def fault(call) -> tuple[int, str]:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call()
    return caught.value.faultCode, caught.value.faultString.strip().splitlines()[-1]


def test_write_date_reads_as_seconds_and_compares_with_microseconds(ex, odoo) -> None:
    ids = ex("res.partner", "create", [{"name": "A"}, {"name": "B"}])
    read = {r["id"]: r["write_date"] for r in ex("res.partner", "read", ids, fields=["write_date"])}
    stored = {r["id"]: r["write_date"] for r in odoo.records("demo", "res.partner") if r["id"] in ids}
    second = read[ids[0]]
    assert len(second) == 19 and len(stored[ids[0]]) == 26 and stored[ids[0]] == stored[ids[1]]
    assert ex("res.partner", "search", [["write_date", "=", second]]) == []
    assert set(ids) <= set(ex("res.partner", "search", [["write_date", ">", second]]))
    assert set(ids) <= set(ex("res.partner", "search", [["write_date", ">=", second.replace(" ", "T")]]))
    assert ex("res.partner", "search", [["write_date", ">", second[:10]]]) == []  # > the day's 23:59:59
    ex("res.partner", "write", [ids[0]], {"name": "A2"})
    moved = {r["id"]: r["write_date"] for r in odoo.records("demo", "res.partner") if r["id"] in ids}
    assert moved[ids[0]] > moved[ids[1]] == stored[ids[1]]
    ordered = ex("res.partner", "search_read", [["id", "in", ids]], fields=["id"],
                 order="write_date asc, id asc")
    assert [r["id"] for r in ordered] == [ids[1], ids[0]]


def test_external_ids_and_check_object_reference(ex) -> None:
    found = ex("ir.model.data", "search_read", [["module", "=", "base"], ["name", "=", "main_partner"]],
               fields=["model", "res_id"])
    assert found == [{"id": 2, "model": "res.partner", "res_id": 1}]
    assert ex("ir.model.data", "check_object_reference", "base", "main_partner") == ["res.partner", 1]
    code, text = fault(lambda: ex("ir.model.data", "check_object_reference", "base", "nope"))
    assert (code, text) == (1, "ValueError: External ID not found in the system: base.nope")
    limited = ("restricted", 6, "restricted")
    assert fault(lambda: ex("ir.model.data", "search_read", [], login=limited))[0] == 4
    assert ex("ir.model.data", "check_object_reference", "base", "main_partner", login=limited) == [
        "res.partner", 1]


def test_load_creates_updates_reports_and_rolls_back(ex, odoo) -> None:
    first = ex("res.partner", "load", ["id", "name"], [["__import__.acc_test_1", "Upsert Ltd"]])
    assert first["messages"] == [] and first["nextrow"] == 0
    again = ex("res.partner", "load", ["id", "name", "is_company"], [["acc_test_1", "Upsert SA", "yes"]])
    assert again["ids"] == first["ids"]
    count = len(odoo.records("demo", "res.partner"))
    bad = ex("res.partner", "load", ["id", "name", "is_company"], [["t2", "Ok", "1"], ["t3", "X", "maybe"]])
    assert bad["ids"] is False and bad["messages"][0]["field"] == "is_company"
    assert bad["messages"][0]["message"] == "Unknown value 'maybe' for boolean field 'Is a Company'"
    assert len(odoo.records("demo", "res.partner")) == count  # the first row too was rolled back
    code, text = fault(lambda: ex("res.partner", "load", ["id", "nonexistent_field"], [["a", "b"]]))
    assert (code, text) == (1, "ValueError: Invalid field name 'nonexistent_field'")
    portal = ex("res.partner", "load", ["id", "name"], [["p1", "P"]], login=("portal", 8, "portal"))
    assert portal["ids"] is False and "not allowed" in portal["messages"][0]["message"]
