"""Lean answers: over MCP, read/search_read without fields skip binary, HTML and x2many fields and
cut their records to LEAN_ANSWER_BYTES, saying where to continue; REST keeps Odoo's behaviour
unless the call asks with ``lean: true``."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_API_KEY, Api
from tests.mcp_rpc import Rpc

HEAVY = {"image_128", "comment", "child_ids", "category_id"}  # binary, html, one2many, many2many


@pytest.fixture
def key(api, transport: str) -> str:
    minted = api.key(password=ADMIN_API_KEY, transport=transport, scope="*:R")
    api.odoo.clear_calls()
    return minted


def mcp(api, key: str, tool: str, **arguments) -> dict:
    result = Rpc(api.client, key).tool(tool, **arguments)
    assert result["isError"] is False, result
    return result["structuredContent"]


@pytest.mark.parametrize("model", ["res.partner", "product.product"])
def test_mcp_reads_the_lean_default(api, key: str, model: str) -> None:
    records = mcp(api, key, "search_read", model=model, limit=3)["records"]
    asked = api.odoo.sent("search_read")[0]["fields"]
    assert not HEAVY & set(asked) and "name" in asked and "id" in asked
    assert records and all(not HEAVY & set(record) for record in records)
    assert api.odoo.count(model_method="fields_get") == 1  # the field types, asked once
    mcp(api, key, "read", model=model, ids=[1])
    assert api.odoo.count(model_method="fields_get") == 1
    assert api.odoo.sent("read")[0]["fields"] == asked


def test_rest_keeps_odoos_default_unless_asked(api, key: str) -> None:
    full = api.result(key, "read", model="product.product", ids=[1])["records"][0]
    assert full["image_128"] and "fields" not in api.odoo.sent("read")[0]
    lean = api.result(key, "read", model="product.product", ids=[1], lean=True)["records"][0]
    assert "image_128" not in lean and lean["name"] == full["name"]


def test_mcp_may_ask_for_everything(api, key: str) -> None:
    record = mcp(api, key, "read", model="product.product", ids=[1], lean=False)["records"][0]
    assert record["image_128"]


def test_mcp_answers_are_cut_to_the_byte_bound_with_the_offset_to_go_on(make_app, odoo) -> None:
    client = make_app(lean_answer_bytes=700).test_client()
    api = Api(client, odoo)
    key = api.key(scope="*:R")
    seen, offset, pages = [], 0, 0
    while offset is not None:
        page = mcp(api, key, "search_read", model="res.partner", offset=offset, limit=14,
                   fields=["name", "email"])
        assert page["count"] == len(page["records"]) >= 1
        seen += [record["id"] for record in page["records"]]
        offset = page.get("next_offset")
        assert page.get("truncated", False) is (offset is not None)
        pages += 1
    everything = api.result(key, "search_read", model="res.partner", limit=14, fields=["name"])
    assert seen == [record["id"] for record in everything["records"]] and pages > 1


def test_a_cut_read_names_the_ids_left(make_app, odoo) -> None:
    api = Api(make_app(lean_answer_bytes=300).test_client(), odoo)
    key = api.key(scope="*:R")
    page = mcp(api, key, "read", model="res.partner", ids=[1, 2, 3, 4, 5, 6])
    kept = [record["id"] for record in page["records"]]
    assert page["truncated"] and page["max_bytes"] == 300
    assert kept + page["remaining_ids"] == [1, 2, 3, 4, 5, 6] and kept
