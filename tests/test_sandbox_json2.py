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


_UNAUTHORIZED = "werkzeug.exceptions.Unauthorized"
_NOT_FOUND = "werkzeug.exceptions.NotFound"
_UNPROCESSABLE = "werkzeug.exceptions.UnprocessableEntity"
_NO_KEY = "User not authenticated, use an API Key with a Bearer Authorization header."


# The table of ../shared/ODOO_FACTS.md, "JSON-2 on a real Odoo 19.0": status, name and message.
@pytest.mark.parametrize(("path", "payload", "key", "db", "status", "name", "message"), [
    ("/json/2/res.partner/search", {"domain": []}, None, "demo", 401, _UNAUTHORIZED, _NO_KEY),
    ("/json/2/res.partner/search", {"domain": []}, "admin", "demo", 401, _UNAUTHORIZED, "Invalid apikey"),
    ("/json/2/res.partner/search", {"domain": []}, ADMIN_API_KEY, "other", 401, _UNAUTHORIZED,
     "Invalid apikey"),  # the key belongs to database demo
    ("/json/2/res.partner/search", {"domain": []}, ADMIN_API_KEY, "nodb", 404, _NOT_FOUND, "nodb"),
    ("/json/2/res.partner/_search", {}, ADMIN_API_KEY, "demo", 403, "odoo.exceptions.AccessError",
     "Private methods (such as 'res.partner._search') cannot be called remotely."),
    ("/json/2/res.partner/write", {"ids": [999999], "vals": {"name": "x"}}, ADMIN_API_KEY, "demo", 404,
     "odoo.exceptions.MissingError",
     "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"),
    ("/json/2/no.such.model/search", {"domain": []}, ADMIN_API_KEY, "demo", 404, _NOT_FOUND,
     "the model 'no.such.model' does not exist"),
    ("/json/2/res.partner/no_such_method", {}, ADMIN_API_KEY, "demo", 404, _NOT_FOUND,
     "The method 'res.partner.no_such_method' does not exist"),
    ("/json/2/res.partner/create", {"vals_list": {"email": "x"}}, ADMIN_API_KEY, "demo", 422,
     "odoo.exceptions.UserError", "name"),
    ("/json/2/res.partner/search", {"bogus": 1}, ADMIN_API_KEY, "demo", 422, _UNPROCESSABLE,
     "missing a required argument: 'domain'"),
    ("/json/2/res.partner/default_get", {"fields_list": ["name"]}, ADMIN_API_KEY, "demo", 422,
     _UNPROCESSABLE, "missing a required argument: 'fields'"),
    ("/json/2/res.partner/search", {"domain": [], "bogus": 1}, ADMIN_API_KEY, "demo", 422, _UNPROCESSABLE,
     "got an unexpected keyword argument 'bogus'"),
    ("/json/2/res.partner/search", [1], ADMIN_API_KEY, "demo", 422, _UNPROCESSABLE, "JSON object"),
    ("/json/2/res.partner/search", {"domain": [["nonexistent_field", "=", 1]]}, ADMIN_API_KEY, "demo",
     500, "builtins.ValueError",
     "Invalid field res.partner.nonexistent_field in condition ('nonexistent_field', '=', 1)"),
    ("/json/2/res.partner/search_read", {"domain": [], "fields": ["nonexistent_field"]}, ADMIN_API_KEY,
     "demo", 500, "builtins.ValueError", "Invalid field 'nonexistent_field' on 'res.partner'"),
])
def test_errors_like_odoo_19(post, path, payload, key, db, status, name, message) -> None:
    got, kind, raw = post(path, payload, key, db)
    body = json.loads(raw)
    assert (got, body["name"]) == (status, name)
    assert message in body["message"], body["message"]
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    assert body["debug"].startswith("Traceback") and body["message"]


@pytest.mark.parametrize(("path", "payload", "answer"), [
    ("/json/2/res.partner/search_count", {"domain": []}, 12),
    ("/json/2/res.partner/search", {"domain": [], "limit": 2, "offset": 1, "order": "id desc"}, [11, 10]),
    ("/json/2/res.partner/read", {"ids": [999999], "fields": ["name"]}, []),
    ("/json/2/res.partner/default_get", {"fields": ["active", "type"]}, {"active": True, "type": "contact"}),
    ("/json/2/res.partner/create", {"vals_list": {"name": "x"}}, [15]),
    ("/json/2/res.partner/create", {"vals_list": [{"name": "x"}, {"name": "y"}]}, [15, 16]),
    ("/json/2/res.partner/write", {"ids": [10], "vals": {"name": "z"}}, True),
    ("/json/2/res.partner/unlink", {"ids": [10]}, True),
    ("/json/2/res.partner/name_search", {"name": "Azure", "limit": 1}, [[2, "Azure Interior"]]),
    ("/json/2/res.partner/fields_get", {"allfields": ["name"], "attributes": ["type"]},
     {"name": {"type": "char"}}),
    ("/json/2/sale.order/action_confirm", {"ids": [2]}, True),
])
def test_answers_like_odoo_19(post, path, payload, answer) -> None:
    status, _, raw = post(path, payload)
    assert (status, json.loads(raw)) == (200, answer)


def test_get_answers_404(odoo) -> None:
    odoo.version = "19.0"
    connection = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=5)
    connection.request("GET", "/json/2/res.partner/search",
                       headers={"Authorization": f"bearer {ADMIN_API_KEY}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 404


def test_xmlrpc_on_19_words_errors_like_odoo_19(odoo) -> None:
    import xmlrpc.client

    odoo.version = "19.0"
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object") as proxy, pytest.raises(
            xmlrpc.client.Fault) as caught:
        proxy.execute_kw("demo", 2, "admin", "res.partner", "search", [[["nofield", "=", 1]]])
    assert "Invalid field res.partner.nofield in condition ('nofield', '=', 1)" in caught.value.faultString


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
