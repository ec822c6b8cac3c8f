"""Field-level scopes end to end: every tool, over REST and MCP, on both transports.

Refused calls are checked against the sandbox's call log: they never reach Odoo (at most the
``fields_get`` the gateway needs to follow a dotted path through a relation).
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.tools import SearchArgs, Tool, ToolArgs, ToolRegistry
from sandbox.models import MODELS
from tests.conftest import ADMIN_API_KEY
from tests.mcp_rpc import INIT_PARAMS, Rpc

SCOPE = (
    "res.partner:R[name,email,phone,parent_id,display_name,child_ids,is_company]"
    "W[email,phone,child_ids,category_id]X(address_get),"
    "res.partner.category:R[name]W[-color]D,"
    "sale.order:R[-amount_total,-date_*]WX(action_confirm),"
    "product.product:RX,account.payment.register:X,sale.advance.payment.inv:X(create_invoices),*:R"
)
SO_READ = [name for name in MODELS["sale.order"].fields
           if name != "amount_total" and not name.startswith("date_")]
PARTNER_READ = ["child_ids", "display_name", "email", "is_company", "name", "parent_id", "phone"]
P, CAT, SO = "res.partner", "res.partner.category", "sale.order"

# (tool, arguments, hidden name the message must quote, fields_get may run first)
REFUSED: list[tuple[str, dict, str, bool]] = [
    ("read", {"model": P, "ids": [1], "fields": ["name", "city"]}, "'city'", False),
    ("search_read", {"model": P, "fields": ["comment"]}, "'comment'", False),
    ("search_read", {"model": P, "domain": [["city", "=", "Fremont"]]}, "'city'", False),
    ("search", {"model": P, "domain": ["|", ["name", "=", "x"], ["city", "=", "y"]]}, "'city'", False),
    ("search_count", {"model": P, "domain": ["!", ["comment", "=", False]]}, "'comment'", False),
    ("search", {"model": P, "domain": [["parent_id.city", "=", "Fremont"]]}, "'city'", True),
    ("search", {"model": SO, "domain": [["partner_id.comment", "!=", False]]}, "'comment'", True),
    ("search", {"model": P, "domain": [["child_ids", "any", [["city", "=", "x"]]]]}, "'city'", True),
    ("search", {"model": SO, "domain": [["date_order", ">", "2025-01-01"]]}, "'date_order'", False),
    ("search_read", {"model": P, "fields": ["name"], "order": "city desc"}, "'city'", False),
    ("read_group", {"model": P, "fields": ["color:sum"], "groupby": ["parent_id"]}, "'color'", False),
    ("read_group", {"model": P, "fields": ["n:sum(color)"], "groupby": ["parent_id"]}, "'color'", False),
    ("read_group", {"model": P, "groupby": ["city"]}, "'city'", False),
    ("read_group", {"model": P, "groupby": ["parent_id"], "orderby": "color"}, "'color'", False),
    ("read_group", {"model": SO, "fields": ["amount_total:sum"], "groupby": ["state"]},
     "'amount_total'", False),
    ("fields_get", {"model": P, "fields": ["city"]}, "'city'", False),
    ("default_get", {"model": P, "fields": ["lang"]}, "'lang'", False),
    ("name_search", {"model": P, "name": "azure"}, "only an empty name", False),
    ("name_search", {"model": CAT, "name": ""}, "'display_name'", False),
    ("create", {"model": P, "values": {"name": "New"}}, "'name'", False),
    ("create", {"model": CAT, "values": [{"name": "a"}, {"name": "b", "color": 3}]}, "'color'", False),
    ("write", {"model": P, "ids": [4], "values": {"email": "a@b.c", "city": "Paris"}}, "'city'", False),
    ("write", {"model": P, "ids": [2], "values": {"child_ids": [[0, 0, {"email": "k@x", "city": "P"}]]}},
     "'city'", True),
    ("write", {"model": P, "ids": [2], "values": {"category_id": [[1, 1, {"color": 3}]]}},
     "'color'", True),
    ("unlink", {"model": P, "ids": [14]}, "does not grant D", False),
    ("upsert", {"model": P, "match": [["city", "=", "Fremont"]], "values": {"email": "a@b.c"}},
     "'city'", False),
    ("upsert", {"model": P, "match": [["email", "=", "a@b.c"]], "values": {"name": "N"}}, "'name'", False),
    ("upsert", {"model": P, "external_id": "crm_1", "values": {"comment": "<p>x</p>"}}, "'comment'", False),
    ("read_messages", {"model": P, "id": 1}, "may show any of them", False),
    ("download_file", {"model": P, "id": 1, "attachment_id": 1}, "may show any of them", False),
    ("get_report", {"model": "res.company", "ids": [1], "report": "base.report_company"},
     "does not declare", False),  # a report prints any field, of related records too
    ("run_wizard", {"model": "account.payment.register", "method": "action_create_payments",
                    "active_model": "account.move", "active_ids": [1]}, "X(action_create_payments)", False),
    ("changes", {"model": P}, "'write_date'", False),  # the feed works on write_date, hidden here
    ("changes", {"model": SO, "fields": ["name", "amount_total"]}, "'amount_total'", False),
    ("changes", {"model": SO, "domain": [["date_order", ">", "2025-01-01"]]}, "'date_order'", False),
    ("call", {"model": P, "method": "copy", "ids": [1]}, "'copy' through 'call'", False),
    ("call", {"model": P, "method": "search_read", "args": [[]]}, "'search_read' through", False),
    ("call", {"model": P, "method": "toggle_active", "ids": [1]}, "X(toggle_active)", False),
    ("call", {"model": "product.product", "method": "toggle_active", "ids": [1]},
     "'product.product:X(toggle_active)'", False),
]

# (tool, arguments, fields Odoo must be asked for or None, answer keys allowed on records)
ALLOWED: list[tuple[str, dict, Any]] = [
    ("read", {"model": P, "ids": [1, 2]}, PARTNER_READ),
    ("read", {"model": P, "ids": [4], "fields": ["name", "email"]}, ["name", "email"]),
    ("search_read", {"model": P, "fields": ["name"], "domain": [["parent_id.name", "ilike", "Azure"]],
                     "order": "email desc"}, ["name"]),
    ("search_read", {"model": SO, "limit": 2}, "sale.order minus amount_total and date_*"),
    ("search", {"model": P, "domain": ["|", ["email", "!=", False], "!", ["phone", "=", False]]}, None),
    ("search_count", {"model": P, "domain": [["child_ids", "any", [["name", "ilike", "a"]]]]}, None),
    ("search", {"model": "res.company", "domain": [["name", "!=", False]]}, None),
    ("fields_get", {"model": P}, PARTNER_READ),
    ("default_get", {"model": P}, PARTNER_READ),
    ("read_group", {"model": P, "groupby": ["parent_id"]}, ["__count"]),
    ("read_group", {"model": SO, "fields": ["id:count"], "groupby": ["state"], "orderby": "state"},
     ["id:count"]),
    ("name_search", {"model": P, "domain": [["is_company", "=", True]]}, None),
    ("write", {"model": P, "ids": [4], "values": {"email": "b@x.example", "phone": "1"}}, None),
    ("write", {"model": P, "ids": [2], "values": {"child_ids": [[1, 4, {"phone": "2"}], [4, 5, 0]]}},
     None),
    ("create", {"model": CAT, "values": {"name": "New tag"}}, None),
    ("unlink", {"model": CAT, "ids": [4]}, None),  # D has no fields
    ("list_attachments", {"model": P, "id": 1}, None),  # Odoo hides binary fields' files from lists
    ("attach_file", {"model": P, "id": 3, "filename": "a.txt", "data": "YQ=="}, None),
    ("post_message", {"model": P, "id": 3, "body": "hello"}, None),  # writes no field
    ("read_messages", {"model": "product.product", "id": 1}, None),  # no read rules there
    ("run_wizard", {"model": "sale.advance.payment.inv", "method": "create_invoices",
                    "active_model": "sale.order", "active_ids": [4]}, None),
    ("upsert", {"model": P, "match": [["email", "=", "brandon.freeman55@example.com"]],
                "values": {"phone": "9"}}, None),
    ("changes", {"model": SO, "fields": ["name", "state"], "since": "2000-01-01T00:00:00Z"},
     ["name", "state", "write_date", "create_date"]),
    ("changes", {"model": SO, "since": "2000-01-01T00:00:00Z"}, "sale.order minus the denied"),
    ("call", {"model": P, "method": "address_get", "ids": [2]}, None),
    ("call", {"model": SO, "method": "action_confirm", "ids": [1]}, None),
]


class Face:
    """Runs a tool over REST or over MCP and answers (ok, payload) the same way."""

    def __init__(self, api, key: str, kind: str) -> None:
        self.api, self.key, self.kind = api, key, kind

    def run(self, tool: str, arguments: dict) -> tuple[bool, dict]:
        if self.kind == "rest":
            response = self.api.client.post("/tools/call", json={"name": tool, "arguments": arguments},
                                            headers={"X-API-Key": self.key})
            if response.status_code == 200:
                return True, response.json["result"]
            assert response.status_code == 403, response.json
            return False, response.json
        result = Rpc(self.api.client, self.key).result(
            "tools/call", {"name": tool, "arguments": arguments})
        return not result["isError"], result["structuredContent"]


@pytest.fixture(params=["rest", "mcp"])
def face(request: pytest.FixtureRequest, api, transport: str) -> Face:
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope=SCOPE)
    api.odoo.clear_calls()
    return Face(api, key, request.param)


@pytest.mark.parametrize(("tool", "arguments", "named", "probes"), REFUSED,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(REFUSED)])
def test_refused_calls_never_reach_odoo(face: Face, api, tool: str, arguments: dict, named: str,
                                        probes: bool) -> None:
    ok, payload = face.run(tool, arguments)
    assert not ok
    assert payload["status"] == "permission_denied"
    assert named in payload["error"]
    reached = {call.model_method for call in api.odoo_calls()}
    assert reached <= ({"fields_get"} if probes else set())


@pytest.mark.parametrize(("tool", "arguments", "asked"), ALLOWED,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(ALLOWED)])
def test_allowed_calls_run_with_only_allowed_fields(face: Face, api, tool: str, arguments: dict,
                                                    asked: Any) -> None:
    ok, payload = face.run(tool, arguments)
    assert ok, payload
    odoo_method = {"call": arguments.get("method"), "upsert": "write", "changes": "search_read",
                   "list_attachments": "search_read", "read_messages": "search_read",
                   "attach_file": "create", "post_message": "message_post",
                   "run_wizard": arguments.get("method")}
    sent = api.odoo.sent(odoo_method.get(tool, tool))
    assert len(sent) == 1
    if face.kind == "mcp" and tool == "read" and "fields" not in arguments:
        asked = ["id", *(n for n in asked if n != "child_ids")]  # MCP lean default: no x2many
    if isinstance(asked, list):
        named = sent[0].get("fields") or sent[0].get("allfields") or sent[0].get("fields_list")
        assert sorted(named) == sorted(asked)
    elif asked is not None:  # a deny list: every field of the model but the denied ones
        assert sorted(sent[0]["fields"]) == sorted(SO_READ)
    readable = {"id", *(PARTNER_READ if arguments["model"] == P else SO_READ)}
    for record in payload.get("records", []):
        assert set(record) <= readable
    if tool == "fields_get":
        assert set(payload["fields"]) == set(PARTNER_READ)


def test_an_omitted_order_sorts_by_id_not_by_a_hidden_default(api) -> None:
    key = api.key(scope=SCOPE)
    api.odoo.clear_calls()
    ids = api.result(key, "search", model=SO)["ids"]  # sale.order sorts by date_order desc
    assert ids == sorted(ids) and api.odoo.sent("search")[0]["order"] == "id"
    api.result(key, "search", model=SO, order="name desc")
    assert api.odoo.sent("search")[1]["order"] == "name desc"


def test_fields_get_describes_only_the_readable_fields(api, transport: str) -> None:
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope="res.partner:R[-c*,-email]")
    described = api.result(key, "fields_get", model=P)["fields"]
    assert "email" not in described and "city" not in described and "comment" not in described
    assert {"name", "phone", "parent_id"} <= set(described)
    assert api.result(key, "fields_get", model=P)["count"] == len(described)


def test_the_relation_of_a_dotted_path_is_asked_once_per_login(api) -> None:
    key = api.key(scope=SCOPE)
    api.odoo.clear_calls()
    for _ in range(3):
        api.result(key, "search", model=P, domain=[["parent_id.name", "ilike", "a"]])
    assert api.odoo.count(model_method="fields_get") == 1
    assert api.odoo.count(model_method="search") == 3


def test_keys_without_field_rules_keep_odoos_behaviour(api) -> None:
    key = api.key(scope="res.partner:RWX,*:R")
    api.odoo.clear_calls()
    records = api.result(key, "read", model=P, ids=[1])["records"]
    assert "city" in records[0] and "comment" in records[0]
    api.result(key, "call", model=P, method="copy", ids=[1])
    assert "fields" not in api.odoo.sent("read")[0]
    assert api.odoo.count(model_method="fields_get") == 0


def test_a_tool_that_declares_no_fields_is_closed_to_keys_with_field_rules(api) -> None:
    gateway = api.client.application.extensions["gateway"]
    peek = Tool("peek", "R", "Reads whatever it likes.", SearchArgs,
                lambda odoo, a: {"records": odoo("search_read", [a["domain"]], {})})
    gateway.registry = ToolRegistry(100, (*gateway.registry._tools.values(), peek))
    key = api.key(scope=SCOPE)
    api.odoo.clear_calls()
    refused = api.call(key, "peek", model="res.company")
    assert refused.status_code == 403 and "does not declare" in refused.json["error"]
    assert api.odoo_calls() == []
    assert api.call(api.key(scope="*:R"), "peek", model="res.company").status_code == 200


class KeysArgs(ToolArgs):
    keys = odoo_fields.field_names(required=True)


def test_a_tool_declares_the_fields_it_matches_on(api) -> None:
    gateway = api.client.application.extensions["gateway"]
    match = Tool("match", "R", "Matches on keys.", KeysArgs, lambda odoo, a: {"keys": a["keys"]},
                 fields=FieldArgs(filters=("keys",)))
    gateway.registry = ToolRegistry(100, (*gateway.registry._tools.values(), match))
    key = api.key(scope=SCOPE)
    refused = api.call(key, "match", model=P, keys=["email", "city"])
    assert refused.status_code == 403 and "'city'" in refused.json["error"]
    assert api.result(key, "match", model=P, keys=["email"])["keys"] == ["email"]


@pytest.mark.parametrize(("declared", "model", "refused"), [
    (FieldArgs(uses=("write_date",)), P, "'write_date'"),  # hidden by the allow list
    (FieldArgs(uses=("write_date",)), SO, None),  # sale.order:R[-amount_*] lets it read
    (FieldArgs(opaque=True), P, "may show any of them"),
    (FieldArgs(opaque=True), "res.company", None),  # no read rules on that model
])
def test_tools_declare_the_fields_they_use_and_whether_they_show_any(
        api, declared: FieldArgs, model: str, refused: str | None) -> None:
    gateway = api.client.application.extensions["gateway"]
    probe = Tool("probe", "R", "Uses fields of its own.", SearchArgs,
                 lambda odoo, a: {"ids": odoo("search", [a["domain"]], {})}, fields=declared)
    gateway.registry = ToolRegistry(100, (*gateway.registry._tools.values(), probe))
    key = api.key(scope=SCOPE.replace("sale.order:R[-amount_total,-date_*]", "sale.order:R[-amount_*]"))
    api.odoo.clear_calls()
    response = api.call(key, "probe", model=model)
    if refused:
        assert response.status_code == 403 and refused in response.json["error"]
        assert api.odoo_calls() == []
    else:
        assert response.status_code == 200, response.json


def test_a_batch_answers_a_refused_call_in_place(api) -> None:
    key = api.key(scope=SCOPE)
    api.odoo.clear_calls()
    calls = [{"name": "read", "arguments": {"model": P, "ids": [1], "fields": ["city"]}},
             {"name": "read", "arguments": {"model": P, "ids": [1], "fields": ["email"]}}]
    answer = api.client.post("/tools/batch", json={"calls": calls}, headers={"X-API-Key": key}).json
    assert [r["ok"] for r in answer["results"]] == [False, True]
    assert answer["results"][0]["http_status"] == 403
    assert [c["fields"] for c in api.odoo.sent("read")] == [["email"]]


def test_mcp_tells_an_assistant_about_field_rules(api) -> None:
    told = Rpc(api.client, api.key(scope=SCOPE)).result("initialize", INIT_PARAMS)["instructions"]
    assert "hide some fields" in told and "res.partner:R[child_ids,display_name" in told
    plain = Rpc(api.client, api.key(scope="*:R")).result("initialize", INIT_PARAMS)["instructions"]
    assert "hide some fields" not in plain
