"""The Odoo double's JSON-2 endpoint: served from version 19, bearer API keys, Odoo 19's error bodies."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from sandbox import OdooDouble
from tests.conftest import ADMIN_API_KEY


@pytest.fixture
def post(odoo: OdooDouble) -> Iterator:
    odoo.version = "19.0"
    connection = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=5)

    def send(path: str, payload: object, key: str | None = ADMIN_API_KEY, db: str | None = "demo"):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"bearer {key}"
        if db is not None:
            headers["X-Odoo-Database"] = db
        connection.request("POST", path, json.dumps(payload), headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, response.getheader("Content-Type"), raw

    yield send
    connection.close()


def test_named_arguments_answer_bare_json(post) -> None:
    status, kind, raw = post("/json/2/res.partner/search_read",
                             {"domain": [["id", "=", 2]], "fields": ["name"], "context": {"lang": "fr_FR"}})
    assert (status, kind) == (200, "application/json; charset=utf-8")
    assert json.loads(raw) == [{"id": 2, "name": "Azure Interior"}]


def test_none_is_null_over_json2(post) -> None:
    status, _, raw = post("/json/2/sale.order/action_lock", {"ids": [1]})
    assert (status, json.loads(raw)) == (200, None)


@pytest.mark.parametrize(("path", "payload", "key", "db", "status", "name"), [
    ("/json/2/res.partner/search", {"domain": []}, None, "demo", 401, "odoo.exceptions.AccessDenied"),
    ("/json/2/res.partner/search", {"domain": []}, "admin", "demo", 401, "odoo.exceptions.AccessDenied"),
    ("/json/2/res.partner/search", {"domain": []}, ADMIN_API_KEY, "other", 401,
     "odoo.exceptions.AccessDenied"),  # the key belongs to database demo
    ("/json/2/res.partner/search", {"domain": []}, ADMIN_API_KEY, "nodb", 404,
     "werkzeug.exceptions.NotFound"),
    ("/json/2/res.partner/_read", {}, ADMIN_API_KEY, "demo", 403, "odoo.exceptions.AccessError"),
    ("/json/2/res.partner/write", {"ids": [999], "vals": {"name": "x"}}, ADMIN_API_KEY, "demo", 404,
     "odoo.exceptions.MissingError"),
    ("/json/2/no.model/search", {"domain": []}, ADMIN_API_KEY, "demo", 404, "werkzeug.exceptions.NotFound"),
    ("/json/2/res.partner/nope", {}, ADMIN_API_KEY, "demo", 404, "werkzeug.exceptions.NotFound"),
    ("/json/2/res.partner/create", {"vals_list": {"email": "x"}}, ADMIN_API_KEY, "demo", 422,
     "odoo.exceptions.UserError"),
    ("/json/2/res.partner/search", {"bogus": 1}, ADMIN_API_KEY, "demo", 422,
     "werkzeug.exceptions.UnprocessableEntity"),
    ("/json/2/res.partner/search", [1], ADMIN_API_KEY, "demo", 422,
     "werkzeug.exceptions.UnprocessableEntity"),
    ("/json/2/res.partner/search", {"domain": [["x", "=", 1]]}, ADMIN_API_KEY, "demo", 500,
     "builtins.ValueError"),
])
def test_errors_like_odoo_19(post, path, payload, key, db, status, name) -> None:
    got, kind, raw = post(path, payload, key, db)
    body = json.loads(raw)
    assert (got, body["name"]) == (status, name)
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    assert body["debug"].startswith("Traceback") and body["message"]


def test_database_header_is_optional(post) -> None:
    status, _, raw = post("/json/2/res.users/context_get", {}, db=None)
    assert status == 200 and json.loads(raw)["uid"] == 2


def test_no_json2_before_odoo_19(post, odoo) -> None:
    odoo.version = "18.0"
    status, kind, _ = post("/json/2/res.users/context_get", {})
    assert status == 404 and kind == "text/html"


def test_version_is_switchable(odoo) -> None:
    import xmlrpc.client

    odoo.version = "19.0"
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common") as common:
        answer = common.version()
    assert answer["server_version"] == "19.0" and answer["server_version_info"][:2] == [19, 0]


def test_sent_names_arguments_of_both_transports(post, odoo) -> None:
    import xmlrpc.client

    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object") as proxy:
        proxy.execute_kw("demo", 2, "admin", "res.partner", "read", [[1], ["name"]], {"context": {}})
    post("/json/2/res.partner/read", {"ids": [1], "fields": ["name"]})
    assert odoo.sent("read") == [{"ids": [1], "fields": ["name"], "context": {}},
                                 {"ids": [1], "fields": ["name"]}]


def test_cli_takes_the_version_to_play() -> None:
    from sandbox.__main__ import parse_args

    assert parse_args([]).odoo_version == "18.0"
    assert parse_args(["--odoo-version", "19.0"]).odoo_version == "19.0"
