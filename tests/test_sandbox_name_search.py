"""The sandbox answers name searches and context like Odoo 18 (sandbox/facts/field-scopes.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.double import OdooDouble
from tests.test_sandbox import Client

P = "res.partner"


@pytest.fixture
def call() -> Iterator[Client]:
    with OdooDouble() as odoo:
        client = Client(odoo.url)
        client(P, "write", [2], {"ref": "AZ-REF", "vat": "BE0477472701", "street": "4557 De Silva St",
                                 "company_registry": "REG-9"})
        client(P, "write", [4], {"ref": "BF-REF"})
        yield client


@pytest.mark.parametrize(("leaf", "ids"), [
    (["display_name", "ilike", "az-ref"], [2]),
    (["display_name", "=", "BE0477472701"], [2]),
    (["display_name", "ilike", "REG-9"], [2]),
    (["display_name", "ilike", "brandon.freeman55@"], [4]),
    (["display_name", "ilike", "Azure Interior, Brandon"], [4]),  # complete_name
    (["parent_id.display_name", "ilike", "AZ-REF"], [4, 5]),
    (["parent_id", "ilike", "AZ-REF"], [4, 5]),
    (["parent_id", "=", "BE0477472701"], [4, 5]),
    (["parent_id", "in", ["BE0477472701"]], [4, 5]),
    (["child_ids", "ilike", "BF-REF"], [2]),
    (["id", "child_of", "AZ-REF"], [2, 4, 5]),
    (["id", "parent_of", "BF-REF"], [2, 4]),
    (["parent_id", "child_of", "AZ-REF"], [4, 5]),
])
def test_leaves_odoo_answers_with_a_name_search(call: Client, leaf: list, ids: list) -> None:
    assert sorted(call(P, "search", [leaf])) == ids


def test_name_search_matches_the_rec_names_search_fields(call: Client) -> None:
    assert call(P, "name_search", "BE0477") == [[2, "Azure Interior"]]
    assert call("product.product", "name_search", "FURN")  # default_code


def test_partner_display_names_follow_the_context(call: Client) -> None:
    context = {"show_address": True, "address_inline": True, "show_email": True, "show_vat": True}
    record = call(P, "read", [4], ["parent_id", "display_name"], context=context)[0]
    assert record["parent_id"] == [2, "Azure Interior, 4557 De Silva St, Fremont \u2012 BE0477472701"]
    assert record["display_name"] == ("Azure Interior, Brandon Freeman <brandon.freeman55@example.com>")
    assert call(P, "name_search", "AZ-REF", context={"partner_show_db_id": True}) == [
        [2, "Azure Interior (2)"]]
    groups = call(P, "read_group", [["id", "in", [4]]], [], ["parent_id"], context={"show_vat": True})
    assert groups[0]["parent_id"] == [2, "Azure Interior \u2012 BE0477472701"]
    assert call(P, "read", [4], ["parent_id"])[0]["parent_id"] == [2, "Azure Interior"]


def test_context_defaults_apply_to_the_record_created(call: Client) -> None:
    context = {"default_ref": "DEF", "default_nothing": 1}
    rid = call(P, "create", {"name": "With defaults", "child_ids": [[0, 0, {"name": "Kid"}]]},
               context=context)
    kid = call(P, "search", [["parent_id", "=", rid]])  # Odoo 18: x2many lines take no defaults
    assert [r["ref"] for r in call(P, "read", [rid, *kid], ["ref"])] == ["DEF", False]
    given = call(P, "create", {"name": "Given", "ref": "MINE"}, context=context)
    assert call(P, "read", [given], ["ref"])[0]["ref"] == "MINE"
    assert call(P, "default_get", ["ref"], context=context) == {"ref": "DEF"}
