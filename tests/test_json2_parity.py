"""Parity: every tool of the registry answers the same status and JSON over XML-RPC and JSON-2.

The double plays Odoo 19 (JSON-2 as ../shared/ODOO_FACTS.md describes it); each case runs on freshly
seeded data once per transport, so ids and messages must match exactly (request ids left out).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ADMIN_API_KEY, Api

NO_FIELD = [["nofield", "=", 1]]
# Per tool, arguments merged over its example that make Odoo (or the gateway) refuse or answer oddly.
VARIANTS: dict[str, list[dict]] = {
    "search": [{"domain": NO_FIELD}, {"order": "nofield asc"}, {"limit": 0}],
    "read": [{"fields": ["nofield"]}, {"ids": [999999]}],
    "search_read": [{"fields": ["nofield"]}, {"domain": NO_FIELD}],
    "search_count": [{"domain": NO_FIELD}],
    "fields_get": [{"fields": ["nofield"]}, {"model": "sale.order"}],
    "default_get": [{"fields": ["nofield"]}, {"fields": []}],
    "create": [{"values": {"email": "no name"}}, {"values": {"nofield": 1}},
               {"values": [{"name": "A"}, {"name": "B"}]}, {"values": {"name": "x", "parent_id": 999999}}],
    "write": [{"ids": [999999]}, {"values": {"nofield": 1}}],
    "unlink": [{"ids": [999999]}],
    "name_search": [{"domain": NO_FIELD}, {"name": "nothing like it"}],
    "read_group": [{"groupby": ["nofield"]}, {"fields": ["nofield:sum"]}],
    "call": [{"method": "no_such_method"}, {"ids": [3]}, {"method": "_private"},
             {"method": "action_lock", "ids": [1]}, {"method": "write", "ids": [999999],
                                                     "kwargs": {"vals": {"name": "x"}}},
             {"model": "res.partner", "method": "address_get", "ids": [2],
              "kwargs": {"adr_pref": ["invoice"]}}],
}


def cases(api: Api) -> list[tuple[str, dict]]:
    """(tool, arguments) for every tool of the registry: its example, an unknown model, its variants."""
    found = []
    for tool in api.client.application.extensions["gateway"].registry.tools():
        assert tool.example, f"tool {tool.name!r} has no example"
        found += [(tool.name, tool.example), (tool.name, {**tool.example, "model": "no.such.model"})]
        found += [(tool.name, {**tool.example, **extra}) for extra in VARIANTS.get(tool.name, [])]
    return found


def answer(api: Api, key: str, tool: str, arguments: dict) -> tuple[int, Any]:
    api.odoo.reseed()
    response = api.client.post("/tools/call", json={"name": tool, "arguments": arguments},
                               headers={"X-API-Key": key})
    body = dict(response.json)
    body.pop("request_id", None)
    if tool == "changes" and "result" in body:  # the feed's horizon is the clock's second
        body["result"] = {k: v for k, v in body["result"].items() if k not in ("cursor", "horizon")}
    return response.status_code, body


@pytest.fixture
def keys(api: Api) -> dict[str, str]:
    api.odoo.version = "19.0"
    return {transport: api.key(password=ADMIN_API_KEY, transport=transport, scope="*:RWDX")
            for transport in ("xmlrpc", "json2")}


def test_every_tool_answers_the_same_over_both_transports(api, keys) -> None:
    statuses = set()
    for tool, arguments in cases(api):
        xmlrpc = answer(api, keys["xmlrpc"], tool, arguments)
        json2 = answer(api, keys["json2"], tool, arguments)
        assert json2 == xmlrpc, (tool, arguments)
        statuses.add(xmlrpc[0])
    assert {200, 400, 404, 422} <= statuses  # successes and each kind of refusal were compared


def test_create_of_one_record_gives_an_integer_id_over_json2(api, keys) -> None:
    created = api.result(keys["json2"], "create", model="res.partner", values={"name": "One"})
    assert isinstance(created["id"], int) and not isinstance(created["id"], bool)
    assert api.odoo.sent("create")[-1] == {"vals_list": {"name": "One"}}


def test_default_get_sends_fields_over_json2(api, keys) -> None:
    result = api.result(keys["json2"], "default_get", model="res.partner", fields=["type", "lang"])
    assert result["defaults"] == {"type": "contact", "lang": "en_US"}
    assert api.odoo.sent("default_get")[-1] == {"fields": ["type", "lang"]}
