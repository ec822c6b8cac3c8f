"""Field-level scopes against the doors real Odoo opens besides field names (issue 20).

Odoo answers a ``display_name`` leaf, text compared with a relational field and ``child_of`` /
``parent_of`` with text with a name search, which on res.partner matches ``ref``, ``vat``, ``email``
and ``company_registry``; its context writes fields (``default_<field>``) and puts hidden ones into
display names (``show_vat``, ``show_address``, ...). Each test plants a unique hidden value with
an admin key, tries the door with a field-restricted key over REST and MCP on every transport, and
checks that the value is absent from the answer (and from the sandbox's store, for writes) and that
the refused call never reached Odoo (at most the ``fields_get`` the gateway asks to learn a field's
type).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from app.core.access.keys import Credentials, KeyClaims
from tests.conftest import ADMIN_API_KEY
from tests.mcp_rpc import INIT_PARAMS, Rpc

P, SO = "res.partner", "sale.order"
# The issue's key: ref, vat, street, phone, comment, company_registry of contacts are hidden.
SCOPE = ("res.partner:R[child_ids,display_name,email,name,parent_id]W[child_ids,email,name]"
         "X(address_get),sale.order:R[create_date,name,partner_id,state,write_date],*:R")
HIDE_EMAIL = "res.partner:R[-email*,-phone*],*:R"  # the email is what is hidden here
READS = {"search", "search_read", "search_count", "read", "name_search", "read_group", "create",
         "write", "load", "address_get", "message_post"}  # what a refused call must not reach


@dataclass
class Planted:
    """Unique hidden values on Azure Interior (2) and its contact Brandon Freeman (4)."""

    ref: str
    vat: str
    street: str
    registry: str
    child_ref: str
    email: str

    def all(self) -> list[str]:
        return [self.ref, self.vat, self.street, self.registry, self.child_ref, self.email]


class Face:
    """Runs a tool over REST or MCP; answers (HTTP-like status, payload)."""

    def __init__(self, api, key: str, kind: str) -> None:
        self.api, self.key, self.kind = api, key, kind

    def run(self, tool: str, arguments: dict) -> tuple[int, dict]:
        if self.kind == "rest":
            response = self.api.client.post("/tools/call", json={"name": tool, "arguments": arguments},
                                            headers={"X-API-Key": self.key})
            body = response.json
            return response.status_code, body["result"] if response.status_code == 200 else body
        result = Rpc(self.api.client, self.key).result("tools/call", {"name": tool, "arguments": arguments})
        content = result["structuredContent"]
        if not result["isError"]:
            return 200, content
        return (403 if content.get("status") == "permission_denied" else 400), content


@pytest.fixture
def planted(api, transport: str) -> Planted:
    tag = uuid.uuid4().hex[:10]
    values = Planted(f"REF{tag}", f"BE0{tag}", f"{tag} Hidden Street", f"REG{tag}", f"KID{tag}",
                     f"secret.{tag}@example.com")
    admin = api.key(password=ADMIN_API_KEY, transport=transport, scope="*:RWDX")
    api.result(admin, "write", model=P, ids=[2], values={
        "ref": values.ref, "vat": values.vat, "street": values.street,
        "company_registry": values.registry})
    api.result(admin, "write", model=P, ids=[4], values={"ref": values.child_ref, "email": values.email})
    return values


def _face(api, transport: str, kind: str, scope: str = SCOPE) -> Face:
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope=scope)
    api.odoo.clear_calls()
    return Face(api, key, kind)


@pytest.fixture(params=["rest", "mcp"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _refused(api, face: Face, planted: Planted, tool: str, arguments: dict, named: str) -> None:
    status, payload = face.run(tool, arguments)
    assert status == 403, payload
    assert payload["status"] == "permission_denied"
    assert named in payload["error"], payload["error"]
    shown = json.dumps(payload)
    assert not [value for value in planted.all() if value in shown]
    reached = {call.model_method for call in api.odoo_calls()}
    assert reached <= {"fields_get"}, reached


def _args(arguments: dict, planted: Planted) -> dict:
    """``arguments`` with the placeholders REF, VAT, KID, MAIL replaced by the planted values."""
    text = json.dumps(arguments)
    for name, value in (("@REF", planted.ref), ("@VAT", planted.vat), ("@KID", planted.child_ref),
                        ("@MAIL", planted.email), ("@REG", planted.registry)):
        text = text.replace(name, value)
    return json.loads(text)


NAME_SEARCH_HINT = "filter by ids or by allowed fields"
# Door 1: display_name leaves; door 2: text on relational leaves, child_of/parent_of with text.
# (tool, arguments, scope, a phrase of the refusal)
DOMAIN_DOORS: list[tuple[str, dict, str, str]] = [
    ("search_count", {"model": P, "domain": [["display_name", "ilike", "@REF"]]}, SCOPE, "'display_name'"),
    ("search_count", {"model": P, "domain": [["display_name", "=", "@VAT"]]}, SCOPE, "'display_name'"),
    ("search", {"model": P, "domain": [["display_name", "ilike", "@REG"]]}, SCOPE, "'display_name'"),
    ("search_read", {"model": P, "fields": ["name"], "domain": [["display_name", "ilike", "@MAIL"]]},
     HIDE_EMAIL, "'display_name'"),
    ("search", {"model": P, "domain": ["|", ["name", "=", "x"], ["parent_id.display_name", "ilike", "@REF"]]},
     SCOPE, "'display_name'"),
    ("search_count", {"model": P, "domain": [["parent_id", "ilike", "@REF"]]}, SCOPE, "'parent_id'"),
    ("search_count", {"model": P, "domain": [["parent_id", "=", "@VAT"]]}, SCOPE, "'parent_id'"),
    ("search_count", {"model": P, "domain": [["parent_id", "in", ["@VAT"]]]}, SCOPE, "'parent_id'"),
    ("search_count", {"model": P, "domain": ["!", ["parent_id", "not ilike", "@REF"]]}, SCOPE, "'parent_id'"),
    ("search_count", {"model": P, "domain": [["child_ids", "ilike", "@KID"]]}, SCOPE, "'child_ids'"),
    ("search_count", {"model": P, "domain": [["child_ids.parent_id", "ilike", "@REF"]]}, SCOPE,
     "'parent_id'"),
    ("search_count", {"model": P, "domain": [["id", "child_of", "@REF"]]}, SCOPE, "'child_of'"),
    ("search_count", {"model": P, "domain": [["id", "parent_of", "@KID"]]}, SCOPE, "'parent_of'"),
    ("search_count", {"model": P, "domain": [["parent_id", "child_of", ["@REF"]]]}, SCOPE, "'child_of'"),
    ("search_count", {"model": P, "domain": [["child_ids", "any", [["parent_id", "=", "@VAT"]]]]}, SCOPE,
     "'parent_id'"),
    # a related model with field rules, reached from a model with rules and from one without
    ("search_count", {"model": SO, "domain": [["partner_id", "ilike", "@REF"]]}, SCOPE, "'partner_id'"),
    ("search_count", {"model": "res.users", "domain": [["partner_id", "ilike", "@KID"]]}, SCOPE,
     "'partner_id'"),
    # every tool that takes a domain
    ("name_search", {"model": P, "domain": [["display_name", "ilike", "@REF"]]}, SCOPE, "'display_name'"),
    ("name_search", {"model": P, "domain": [["parent_id", "=", "@VAT"]]}, SCOPE, "'parent_id'"),
    ("read_group", {"model": P, "groupby": ["parent_id"], "domain": [["display_name", "ilike", "@VAT"]]},
     SCOPE, "'display_name'"),
    ("upsert", {"model": P, "match": [["display_name", "=", "@VAT"]], "values": {"email": "x@y.example"}},
     SCOPE, "'display_name'"),
    ("upsert", {"model": P, "match": [["child_ids", "ilike", "@KID"]], "values": {"email": "x@y.example"}},
     SCOPE, "'child_ids'"),
    ("changes", {"model": SO, "domain": [["partner_id", "ilike", "@REF"]]}, SCOPE, "'partner_id'"),
]


@pytest.mark.parametrize(("tool", "arguments", "scope", "named"), DOMAIN_DOORS,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(DOMAIN_DOORS)])
def test_name_search_filters_are_refused(api, transport: str, kind: str, planted: Planted, tool: str,
                                         arguments: dict, scope: str, named: str) -> None:
    face = _face(api, transport, kind, scope)
    _refused(api, face, planted, tool, _args(arguments, planted), named)
    assert NAME_SEARCH_HINT in face.run(tool, _args(arguments, planted))[1]["error"]


def test_the_doors_are_open_without_field_rules(api, transport: str, planted: Planted) -> None:
    """The sandbox answers like Odoo: the same filters find the planted records (a key without
    field rules keeps that behaviour, and it is what the refusals above close)."""
    face = _face(api, transport, "rest", "res.partner:RWX,*:R")
    counts = {json.dumps(leaf): face.run(
        "search_count", {"model": P, "domain": [_args(leaf, planted)]})[1]["count"]
              for leaf in (["display_name", "ilike", "@REF"], ["display_name", "=", "@VAT"],
                           ["parent_id", "ilike", "@REF"], ["parent_id", "=", "@VAT"],
                           ["child_ids", "ilike", "@KID"], ["id", "parent_of", "@KID"])}
    assert counts == {
        '["display_name", "ilike", "@REF"]': 1, '["display_name", "=", "@VAT"]': 1,
        '["parent_id", "ilike", "@REF"]': 2, '["parent_id", "=", "@VAT"]': 2,  # Brandon, Nicole
        '["child_ids", "ilike", "@KID"]': 1, '["id", "parent_of", "@KID"]': 2}  # Azure (+ Brandon)
    below = face.run("search", {"model": P, "domain": [_args(["id", "child_of", "@REF"], planted)]})[1]
    assert sorted(below["ids"]) == [2, 4, 5]
    shown = face.run("read", {"model": P, "ids": [4], "fields": ["parent_id"], "context": {
        "show_vat": True, "show_address": True, "address_inline": True}})[1]["records"][0]["parent_id"]
    assert shown == [2, f"Azure Interior, {planted.street}, Fremont \u2012 {planted.vat}"]
    created = face.run("create", {"model": P, "values": {"name": "Defaults"},
                                  "context": {"default_ref": planted.ref}})[1]["id"]
    assert _stored(api, created)["ref"] == planted.ref


# Filters that keep working: ids, allowed fields, dotted paths to allowed fields.
ALLOWED_FILTERS = [
    [["parent_id.name", "ilike", "Azure"]], [["parent_id", "in", [2]]], [["parent_id", "=", 2]],
    [["parent_id", "=", False]], [["id", "child_of", [2]]], [["id", "parent_of", 4]],
    [["child_ids", "any", [["name", "ilike", "Brandon"]]]], [["email", "ilike", "example.com"]],
    [["parent_id.child_ids.name", "=", "Nicole Ford"]],
]


@pytest.mark.parametrize("domain", ALLOWED_FILTERS, ids=[str(i) for i in range(len(ALLOWED_FILTERS))])
def test_filters_by_ids_and_allowed_fields_keep_working(api, transport: str, domain: list) -> None:
    face = _face(api, transport, "rest")
    status, payload = face.run("search", {"model": P, "domain": domain})
    assert status == 200, payload
    assert payload["ids"], "the filter should find the demo records"
    assert api.odoo.sent("search")[-1]["domain"] == domain


# Door 3: the context writes hidden fields. (tool, arguments)
CONTEXT_WRITES: list[tuple[str, dict, str]] = [
    ("create", {"model": P, "values": {"name": "Door three"},
                "context": {"default_phone": "@REF", "default_ref": "@REF", "default_comment": "@REF"}},
     "'comment'"),
    ("create", {"model": P, "values": [{"name": "Door three"}, {"name": "Again"}],
                "context": {"default_vat": "@VAT"}}, "'vat'"),
    ("upsert", {"model": P, "match": [["email", "=", "nobody.@REF@example.com"]],
                "values": {"name": "Door three", "email": "nobody.@REF@example.com"},
                "context": {"default_ref": "@REF"}}, "'ref'"),
    ("upsert", {"model": P, "external_id": "door_three_@REF", "values": {"name": "Door three"},
                "context": {"default_ref": "@REF"}}, "'ref'"),
    ("write", {"model": P, "ids": [2], "values": {"child_ids": [[0, 0, {"name": "Door three"}]]},
               "context": {"default_ref": "@REF"}}, "'ref'"),
    ("search", {"model": P, "domain": [], "context": {"default_email": "@REF"}}, "'default_email'"),
    ("post_message", {"model": P, "id": 2, "body": "hello", "context": {"default_body": "@REF"}},
     "'default_body'"),
]


@pytest.mark.parametrize(("tool", "arguments", "named"), CONTEXT_WRITES,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(CONTEXT_WRITES)])
def test_context_defaults_of_hidden_fields_are_refused(api, transport: str, kind: str, planted: Planted,
                                                       tool: str, arguments: dict, named: str) -> None:
    face = _face(api, transport, kind)
    before = api.odoo.records("demo", P)
    _refused(api, face, planted, tool, _args(arguments, planted), named)
    assert api.odoo.records("demo", P) == before
    assert planted.ref not in json.dumps(api.odoo.records("demo", "mail.message"))


def test_context_defaults_of_writable_fields_are_applied(api, transport: str, kind: str) -> None:
    face = _face(api, transport, kind)
    status, payload = face.run("create", {"model": P, "values": {"name": "Defaulted"}, "context": {
        "default_email": "defaulted@example.com", "lang": "en_US", "tz": "UTC"}})
    assert status == 200, payload
    assert _stored(api, payload["id"])["email"] == "defaulted@example.com"


# Door 4: the context shows hidden fields in display names; and every other context key.
CONTEXT_READS: list[tuple[str, dict, str]] = [
    ("read", {"model": P, "ids": [4], "fields": ["parent_id"], "context": {
        "show_email": True, "show_vat": True, "show_address": True, "address_inline": True}},
     "'address_inline'"),
    ("search_read", {"model": P, "fields": ["display_name"], "domain": [["id", "=", 2]],
                     "context": {"show_vat": True}}, "'show_vat'"),
    ("read", {"model": P, "ids": [4], "fields": ["display_name"], "context": {"show_email": True}},
     "'show_email'"),
    ("name_search", {"model": P, "context": {"show_address": True}}, "'show_address'"),
    ("read_group", {"model": P, "groupby": ["parent_id"], "context": {"show_vat": True}}, "'show_vat'"),
    ("search_read", {"model": SO, "fields": ["partner_id"], "context": {"partner_show_db_id": True,
                                                                        "show_vat": True}},
     "'partner_show_db_id'"),
    ("changes", {"model": SO, "fields": ["partner_id"], "context": {"show_vat": True}}, "'show_vat'"),
    ("call", {"model": P, "method": "address_get", "ids": [2], "context": {"show_vat": True}}, "'show_vat'"),
    ("list_attachments", {"model": P, "id": 2, "context": {"show_vat": True}}, "'show_vat'"),
    ("read", {"model": P, "ids": [2], "context": {"active_model": P, "active_ids": [2]}}, "'active_ids'"),
]


@pytest.mark.parametrize(("tool", "arguments", "named"), CONTEXT_READS,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(CONTEXT_READS)])
def test_context_keys_that_show_fields_are_refused(api, transport: str, kind: str, planted: Planted,
                                                   tool: str, arguments: dict, named: str) -> None:
    face = _face(api, transport, kind)
    _refused(api, face, planted, tool, arguments, named)


def test_the_email_hidden_is_not_shown_in_display_names(api, transport: str, kind: str,
                                                        planted: Planted) -> None:
    face = _face(api, transport, kind, HIDE_EMAIL)
    _refused(api, face, planted, "read", {"model": P, "ids": [4], "fields": ["display_name"],
                                          "context": {"show_email": True}}, "'show_email'")
    status, payload = face.run("read", {"model": P, "ids": [4], "fields": ["display_name", "name"]})
    assert status == 200 and planted.email not in json.dumps(payload)


SAFE_CONTEXTS = [{"lang": "fr_FR"}, {"tz": "Europe/Brussels"}, {"active_test": False},
                 {"allowed_company_ids": [1]}]


@pytest.mark.parametrize("context", SAFE_CONTEXTS, ids=[next(iter(c)) for c in SAFE_CONTEXTS])
def test_context_keys_that_show_no_field_are_sent(api, transport: str, kind: str, context: dict) -> None:
    face = _face(api, transport, kind)
    status, payload = face.run("search_read", {"model": P, "fields": ["name"], "context": context})
    assert status == 200, payload
    assert api.odoo.sent("search_read")[0]["context"] == context


def test_a_granted_method_may_take_the_active_records(api, transport: str, kind: str) -> None:
    face = _face(api, transport, kind)
    context = {"active_model": P, "active_ids": [2], "active_id": 2}
    status, payload = face.run("call", {"model": P, "method": "address_get", "ids": [2], "context": context})
    assert status == 200, payload
    assert api.odoo.sent("address_get")[0]["context"] == context


def test_inactive_records_follow_active_test(api, transport: str) -> None:
    face = _face(api, transport, "rest")
    archived = {"model": P, "domain": [["name", "=", "Jesse Brown"]]}
    assert face.run("search_count", archived)[1]["count"] == 0
    assert face.run("search_count", {**archived, "context": {"active_test": False}})[1]["count"] == 1


def test_a_batch_refuses_a_door_in_place(api, planted: Planted) -> None:
    key = api.key(scope=SCOPE)
    api.odoo.clear_calls()
    calls = [{"name": "search_count",
              "arguments": {"model": P, "domain": [["display_name", "ilike", planted.ref]]}},
             {"name": "read", "arguments": {"model": P, "ids": [4], "fields": ["parent_id"],
                                            "context": {"show_vat": True}}},
             {"name": "search_count", "arguments": {"model": P, "domain": [["parent_id", "in", [2]]]}}]
    answer = api.client.post("/tools/batch", json={"calls": calls}, headers={"X-API-Key": key}).json
    assert [r["ok"] for r in answer["results"]] == [False, False, True]
    assert [r.get("http_status") for r in answer["results"][:2]] == [403, 403]
    assert planted.ref not in json.dumps(answer) and planted.vat not in json.dumps(answer)
    assert [c["domain"] for c in api.odoo.sent("search_count")] == [[["parent_id", "in", [2]]]]
    assert api.odoo.count(model_method="read") == 0


def test_keys_without_field_rules_send_any_context(api, transport: str, planted: Planted) -> None:
    face = _face(api, transport, "mcp", "res.partner:RW,*:R")
    status, payload = face.run("name_search", {"model": P, "name": planted.vat,
                                               "context": {"show_vat": True}})
    assert status == 200
    assert payload["results"] == [{"id": 2, "name": f"Azure Interior \u2012 {planted.vat}"}]


def _stored(api, rid: int) -> dict:
    return next(record for record in api.odoo.records("demo", P) if record["id"] == rid)


@pytest.mark.parametrize("context", [{"show_vat": True}, {"default_ref": "x"}, {"active_id": 2}])
def test_a_key_with_field_rules_is_not_minted_with_a_context_that_shows_fields(api, context: dict) -> None:
    response = api.generate(scope=SCOPE, context={"lang": "fr_FR", **context})
    assert response.status_code == 400, response.json
    assert repr(next(iter(context))) in response.json["error"]
    assert api.generate(scope=SCOPE, context={"lang": "fr_FR", "tz": "UTC"}).status_code == 200
    assert api.generate(scope="res.partner:RW,*:R", context=context).status_code == 200  # no rules


def test_a_key_minted_earlier_with_such_a_context_is_refused_at_call_time(api, planted: Planted) -> None:
    gateway = api.client.application.extensions["gateway"]
    claims = KeyClaims.new(Credentials(api.odoo.url, "demo", "admin", "admin"), SCOPE, None,
                           {"show_vat": True})
    key = gateway.keyring.seal(claims)
    api.odoo.clear_calls()
    response = api.call(key, "read", model=P, ids=[4], fields=["parent_id"])
    assert response.status_code == 403 and "key's own context key 'show_vat'" in response.json["error"]
    assert planted.vat not in response.get_data(as_text=True)
    assert {call.model_method for call in api.odoo_calls()} <= {"fields_get"}


def test_mcp_tells_an_assistant_how_to_filter_and_which_context_to_send(api) -> None:
    told = Rpc(api.client, api.key(scope=SCOPE)).result("initialize", INIT_PARAMS)["instructions"]
    assert "not by text or display_name" in told and "lang, tz, active_test" in told


@pytest.mark.parametrize(("scope", "tool", "arguments"), [
    # a model without rules: its name search may follow relations into one with rules
    (SCOPE, "name_search", {"model": "product.product", "name": "desk"}),
    (SCOPE, "search_count", {"model": "product.product", "domain": [["display_name", "ilike", "desk"]]}),
    # write rules alone make a key field-restricted too
    ("res.partner:RW[email],*:R", "search_count", {"model": P, "domain": [["parent_id", "ilike", "@REF"]]}),
    ("res.partner:RW[email],*:R", "read", {"model": P, "ids": [4], "context": {"show_vat": True}}),
], ids=["name_search-text", "display_name-unruled-model", "w-rules-filter", "w-rules-context"])
def test_every_model_is_closed_for_a_key_with_field_rules(api, transport: str, kind: str, planted: Planted,
                                                          scope: str, tool: str, arguments: dict) -> None:
    face = _face(api, transport, kind, scope)
    _refused(api, face, planted, tool, _args(arguments, planted), "field rules")
