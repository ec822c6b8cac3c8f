"""POST /tools/batch: calls run in order with one key, each answered in place."""

from __future__ import annotations

import pytest


def batch(api, key: str | None, calls: list, **extra):
    headers = {"X-API-Key": key} if key else {}
    return api.client.post("/tools/batch", json={"calls": calls, **extra}, headers=headers)


def call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def test_mixed_success_and_failure_runs_every_call(api, any_key) -> None:
    response = batch(api, any_key, [
        call("search_count", model="res.partner"),
        call("write", model="res.partner", ids=[999999], values={"name": "x"}),  # Odoo: missing
        call("no_such_tool", model="res.partner"),
        call("search", model="res.partner", limit=0),  # bad arguments
        call("create", model="res.partner.category", values={"name": "After failures"}),
    ])
    assert response.status_code == 200
    body = response.json
    assert (body["count"], body["succeeded"], body["failed"], body["stopped"]) == (5, 2, 3, False)
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3, 4]
    assert [r["ok"] for r in body["results"]] == [True, False, False, False, True]
    assert body["results"][0]["result"]["count"] > 0
    assert [(r["status"], r["http_status"]) for r in body["results"][1:4]] == [
        ("not_found", 404), ("tool_not_found", 404), ("invalid_request", 400)]
    assert body["results"][3]["details"] and body["results"][1]["error"]
    assert body["results"][4]["result"]["status"] == "created"
    assert "After failures" in {r["name"] for r in api.odoo.records("demo", "res.partner.category")}


def test_stop_on_error_skips_the_rest(api, any_key) -> None:
    response = batch(api, any_key, [
        call("create", model="res.partner.category", values={"name": "First"}),
        call("call", model="sale.order", method="action_confirm", ids=[3]),  # already confirmed
        call("create", model="res.partner.category", values={"name": "Never"}),
    ], stop_on_error=True)
    body = response.json
    assert response.status_code == 200
    assert (body["count"], body["succeeded"], body["failed"], body["stopped"]) == (2, 1, 1, True)
    assert body["results"][1]["status"] == "odoo_error" and body["results"][1]["http_status"] == 422
    names = {r["name"] for r in api.odoo.records("demo", "res.partner.category")}
    assert "First" in names and "Never" not in names  # each call is its own transaction


def test_scope_denial_in_the_middle_is_answered_in_place(api) -> None:
    key = api.key(scope="res.partner:R,sale.order:RX(action_confirm)")
    api.odoo.clear_calls()
    response = batch(api, key, [
        call("search", model="res.partner", limit=1),
        call("unlink", model="res.partner", ids=[14]),
        call("call", model="sale.order", method="action_cancel", ids=[1]),
        call("call", model="sale.order", method="action_confirm", ids=[1]),
    ])
    body = response.json
    assert [r["ok"] for r in body["results"]] == [True, False, False, True]
    assert {body["results"][i]["status"] for i in (1, 2)} == {"permission_denied"}
    assert {r["http_status"] for r in body["results"] if not r["ok"]} == {403}
    assert [c.model_method for c in api.odoo_calls()] == ["search", "action_confirm"]
    assert 14 in {r["id"] for r in api.odoo.records("demo", "res.partner")}


def test_batch_size_is_bounded_by_max_batch(make_app, odoo) -> None:
    from tests.conftest import Api

    api = Api(make_app(max_batch=2).test_client(), odoo)
    key = api.key()
    odoo.clear_calls()
    response = batch(api, key, [call("search_count", model="res.partner")] * 3)
    assert response.status_code == 400 and "MAX_BATCH" in response.json["error"]
    assert odoo.calls == []
    assert batch(api, key, [call("search_count", model="res.partner")] * 2).status_code == 200


@pytest.mark.parametrize("body", [
    {}, {"calls": []}, {"calls": "search"}, {"calls": [{"arguments": {}}]},
    {"calls": [{"name": "search", "arguments": []}]}, {"calls": [call("search")], "extra": 1},
    {"calls": [call("search")], "stop_on_error": "perhaps"},
])
def test_invalid_envelope_is_400(api, admin_key, body) -> None:
    response = api.client.post("/tools/batch", json=body, headers={"X-API-Key": admin_key})
    assert response.status_code == 400 and response.json["status"] == "invalid_request"
    assert api.odoo.calls == []


def test_batch_needs_a_key(api) -> None:
    response = batch(api, None, [call("search", model="res.partner")])
    assert response.status_code == 401 and response.json["status"] == "auth_failed"
    assert api.odoo.calls == []
