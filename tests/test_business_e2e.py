"""name_search, read_group and call over both transports; the X letter; context; x2many commands."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_API_KEY


def state(api, order_id: int) -> str:
    return next(r for r in api.odoo.records("demo", "sale.order") if r["id"] == order_id)["state"]


def name_search(api, key: str, **arguments) -> dict:
    """``name_search`` takes an argument called ``name``, which Api.result also takes."""
    response = api.client.post("/tools/call", json={"name": "name_search", "arguments": arguments},
                               headers={"X-API-Key": key})
    assert response.status_code == 200, response.json
    return response.json["result"]


def test_name_search(api, any_key) -> None:
    result = name_search(api, any_key, model="res.partner", name="azure", limit=2)
    assert result == {"results": [{"id": 2, "name": "Azure Interior"},
                                  {"id": 4, "name": "Azure Interior, Brandon Freeman"}],
                      "count": 2, "model": "res.partner"}
    assert api.odoo.sent("name_search") == [
        {"name": "azure", "domain": [], "operator": "ilike", "limit": 2}]


def test_name_search_with_domain_and_operator(api, any_key) -> None:
    result = name_search(api, any_key, model="res.partner", name="Deco Addict",
                        operator="=", domain=[["is_company", "=", True]])
    assert [r["id"] for r in result["results"]] == [6]


def test_read_group_lazy_counts_and_sums(api, any_key) -> None:
    result = api.result(any_key, "read_group", model="sale.order", fields=["amount_total:sum"],
                        groupby=["partner_id"], domain=[["state", "!=", "cancel"]])
    groups = {tuple(g["partner_id"]): g for g in result["groups"]}
    assert result["count"] == 3 and result["model"] == "sale.order"
    azure = groups[(2, "Azure Interior")]
    assert azure["partner_id_count"] == 2 and azure["amount_total"] == 1740.0 + 2240.0
    assert api.odoo.sent("read_group") == [{
        "domain": [["state", "!=", "cancel"]], "fields": ["amount_total:sum"],
        "groupby": ["partner_id"], "offset": 0, "lazy": True}]


def test_read_group_eager_with_paging(api, any_key) -> None:
    result = api.result(any_key, "read_group", model="sale.order", groupby=["state", "partner_id"],
                        lazy=False, limit=2, offset=1, orderby="state")
    assert result["count"] == 2 and all("__count" in g and "state" in g for g in result["groups"])
    sent = api.odoo.sent("read_group")[0]
    assert sent["lazy"] is False and sent["limit"] == 2 and sent["offset"] == 1
    assert sent["orderby"] == "state"


@pytest.mark.parametrize("arguments", [
    {"model": "sale.order"},  # groupby is required
    {"model": "sale.order", "groupby": []},
    {"model": "sale.order", "groupby": ["date_order:fortnight"]},
    {"model": "sale.order", "groupby": ["state"], "fields": ["amount_total:sum;drop"]},
    {"model": "sale.order", "groupby": ["state"], "lazy": "maybe"},
])
def test_read_group_bad_arguments_are_400(api, any_key, arguments) -> None:
    response = api.call(any_key, "read_group", **arguments)
    assert response.status_code == 400 and response.json["status"] == "invalid_request"
    assert api.odoo.calls == []


def test_call_business_method_on_ids(api, any_key) -> None:
    result = api.result(any_key, "call", model="sale.order", method="action_confirm", ids=[1])
    assert result == {"value": True, "method": "action_confirm", "model": "sale.order"}
    assert state(api, 1) == "sale"
    assert api.odoo.sent("action_confirm") == [{"ids": [1]}]


def test_call_method_returning_none_answers_null(api, any_key) -> None:
    result = api.result(any_key, "call", model="sale.order", method="action_lock", ids=[2])
    assert result == {"value": None, "method": "action_lock", "model": "sale.order"}
    assert next(r for r in api.odoo.records("demo", "sale.order") if r["id"] == 2)["locked"] is True


def test_call_method_returning_a_dict_with_kwargs(api, any_key) -> None:
    result = api.result(any_key, "call", model="res.partner", method="address_get", ids=[2],
                        kwargs={"adr_pref": ["invoice"]})
    assert result["value"] == {"invoice": 5}
    assert api.odoo.sent("address_get") == [{"ids": [2], "adr_pref": ["invoice"]}]


def test_call_method_returning_records_as_ids(api, any_key) -> None:
    result = api.result(any_key, "call", model="res.partner", method="copy", ids=[2, 6])
    copies = result["value"]
    assert isinstance(copies, list) and len(copies) == 2 and all(isinstance(i, int) for i in copies)
    names = {r["id"]: r["name"] for r in api.odoo.records("demo", "res.partner")}
    assert names[copies[0]] == "Azure Interior (copy)"


def test_call_model_method_without_ids(api, any_key) -> None:
    result = api.result(any_key, "call", model="res.users", method="context_get")
    assert result["value"]["uid"] == 2
    assert api.odoo.sent("context_get") == [{}]


def test_call_positional_args_after_ids_over_xmlrpc(api) -> None:
    result = api.result(api.key(scope="*:RX"), "call", model="res.partner", method="address_get", ids=[2],
                        args=[["invoice"]])
    assert result["value"] == {"invoice": 5}
    (call,) = api.odoo_calls("address_get")
    assert call.args == [[2], ["invoice"]]


def test_json2_refuses_positional_args_of_business_methods(api, odoo) -> None:
    odoo.version = "19.0"
    key = api.key(password=ADMIN_API_KEY, transport="json2", scope="*:RX")
    odoo.clear_calls()
    response = api.call(key, "call", model="res.partner", method="address_get", ids=[2],
                        args=[["invoice"]])
    assert response.status_code == 400 and "kwargs" in response.json["error"]
    assert odoo.sent() == []


def test_call_odoo_error_keeps_its_status(api, any_key) -> None:
    response = api.call(any_key, "call", model="sale.order", method="action_confirm", ids=[3])
    assert response.status_code == 422 and response.json["status"] == "odoo_error"
    assert "not in a state requiring confirmation" in response.json["error"]


@pytest.mark.parametrize(("arguments", "named"), [
    ({"method": "_read", "ids": [1]}, "Private methods"),
    ({"method": "__init__"}, "Private methods"),
    ({"method": "action confirm"}, "method"),
    ({"method": "copy", "kwargs": {"context": {}}}, "context"),
    ({"method": "copy", "ids": [0]}, "ids"),
    ({}, "method"),
])
def test_call_bad_arguments_never_reach_odoo(api, any_key, arguments, named) -> None:
    response = api.call(any_key, "call", model="res.partner", **arguments)
    assert response.status_code == 400 and response.json["status"] == "invalid_request"
    assert named in response.json["error"]
    assert api.odoo.calls == []


# -- the X letter and the CRUD letters through call ----------------------------------------------

SCOPED = [
    ("sale.order:RX(action_confirm)", "sale.order", "action_confirm", [1], 200),
    ("sale.order:RX(action_confirm)", "sale.order", "action_cancel", [1], 403),  # not listed
    ("sale.order:RX", "sale.order", "action_cancel", [1], 200),  # X grants every public method
    ("sale.order:RW", "sale.order", "action_confirm", [1], 403),  # W is not X
    ("*:R", "sale.order", "action_confirm", [1], 403),
    ("*:RX,sale.order:R", "sale.order", "action_confirm", [1], 403),  # most specific entry decides
    ("res.partner:X", "res.partner", "write", [1], 403),  # CRUD names need their own letter
    ("res.partner:X", "res.partner", "unlink", [1], 403),
    ("res.partner:RW", "res.partner", "unlink", [14], 403),
    ("res.partner:RWD", "res.partner", "unlink", [14], 200),
    ("res.partner:X", "res.partner", "search_read", None, 403),
    ("res.partner:R", "res.partner", "search_read", None, 200),  # R suffices, no X needed
    ("res.partner:RX", "res.partner", "copy", [2], 403),  # copy creates: W
    ("res.partner:W", "res.partner", "copy", [2], 200),
]


@pytest.mark.parametrize(("scope", "model", "method", "ids", "http"), SCOPED)
def test_call_scope_table(api, scope, model, method, ids, http) -> None:
    key = api.key(scope=scope)
    api.odoo.clear_calls()
    arguments = {"model": model, "method": method, **({"ids": ids} if ids else {})}
    response = api.call(key, "call", **arguments)
    assert response.status_code == http, response.json
    if http == 403:
        assert response.json["status"] == "permission_denied" and method in response.json["error"]
        assert api.odoo.calls == []  # refused before Odoo
    else:
        assert len(api.odoo.sent(method)) == 1


def test_x_scope_shows_in_canonical_form(api) -> None:
    minted = api.generate(scope="sale.order:x(action_confirm|action_cancel)r").json
    assert minted["scope"] == "sale.order:RX(action_cancel|action_confirm)"


# -- context -----------------------------------------------------------------------------------

def test_company_and_language_context_reach_odoo(api, transport) -> None:
    if transport == "json2":
        api.odoo.version = "19.0"
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope="*:RX",
                  context={"lang": "fr_FR", "allowed_company_ids": [1]})
    api.odoo.clear_calls()
    api.result(key, "search_read", model="sale.order", fields=["name"],
               context={"allowed_company_ids": [2, 1], "tz": "Europe/Brussels"})
    api.result(key, "call", model="sale.order", method="action_confirm", ids=[1],
               context={"active_test": False})
    assert api.odoo.sent("search_read")[0]["context"] == {
        "lang": "fr_FR", "allowed_company_ids": [2, 1], "tz": "Europe/Brussels"}
    assert api.odoo.sent("action_confirm")[0]["context"] == {
        "lang": "fr_FR", "allowed_company_ids": [1], "active_test": False}


def test_active_test_false_shows_archived_records(api, any_key) -> None:
    found = name_search(api, any_key, model="res.partner", name="Old Supplier",
                        context={"active_test": False})
    assert [r["id"] for r in found["results"]] == [12]
    assert name_search(api, any_key, model="res.partner", name="Old Supplier")["count"] == 0


# -- x2many commands pass through as they are ---------------------------------------------------

def read_one(api, key, model: str, rid: int, fields: list[str]) -> dict:
    return api.result(key, "read", model=model, ids=[rid], fields=fields)["records"][0]


def test_x2many_create_link_replace_commands(api, any_key) -> None:
    new = api.result(any_key, "create", model="res.partner", values={
        "name": "Parent Co", "is_company": True,
        "child_ids": [[0, 0, {"name": "Child One"}], [0, 0, {"name": "Child Two"}]],
        "category_id": [[6, 0, [1, 2]]],
    })["id"]
    record = read_one(api, any_key, "res.partner", new, ["child_ids", "category_id"])
    assert len(record["child_ids"]) == 2 and record["category_id"] == [1, 2]
    child = read_one(api, any_key, "res.partner", record["child_ids"][0], ["parent_id"])
    assert child["parent_id"] == [new, "Parent Co"]  # many2one answers keep [id, name]
    api.result(any_key, "write", model="res.partner", ids=[new], values={"category_id": [[4, 3]]})
    assert read_one(api, any_key, "res.partner", new, ["category_id"])["category_id"] == [1, 2, 3]
    api.result(any_key, "write", model="res.partner", ids=[new], values={"category_id": [[3, 1]]})
    assert read_one(api, any_key, "res.partner", new, ["category_id"])["category_id"] == [2, 3]
    api.result(any_key, "write", model="res.partner", ids=[new], values={"category_id": [[5]]})
    assert read_one(api, any_key, "res.partner", new, ["category_id"])["category_id"] == []
    sent = api.odoo.sent("create")[0]["vals_list"]
    assert sent["child_ids"] == [[0, 0, {"name": "Child One"}], [0, 0, {"name": "Child Two"}]]


def test_catalogue_describes_the_new_tools(client) -> None:
    tools = {t["name"]: t for t in client.post("/tools/list").json["tools"]}
    assert set(tools["read_group"]["inputSchema"]["required"]) == {"model", "groupby"}
    assert set(tools["call"]["inputSchema"]["required"]) == {"model", "method"}
    assert set(tools["call"]["inputSchema"]["properties"]) == {
        "model", "context", "method", "ids", "args", "kwargs"}
    assert set(tools["name_search"]["inputSchema"]["properties"]) == {
        "model", "context", "name", "domain", "operator", "limit"}
    assert tools["call"]["permission"] == "X"
