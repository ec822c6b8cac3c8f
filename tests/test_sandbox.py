"""The Odoo test double, exercised over real XML-RPC like the gateway talks to it."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from xml.parsers.expat import ExpatError

import pytest

from sandbox import DEMO_USERS, OdooDouble

# ruff: noqa: S101 - pytest asserts

ADMIN_KEY = "admin-api-key-0000000000000000"


@pytest.fixture(scope="module")
def server() -> Iterator[OdooDouble]:
    """One running double for the module."""
    with OdooDouble() as double:
        yield double


@pytest.fixture
def odoo(server: OdooDouble) -> Iterator[OdooDouble]:
    """The shared double, reset before each test."""
    server.reset()
    yield server
    server.reset()


class Client:
    """execute_kw as one call: the helper every test uses."""

    def __init__(self, url: str, db: str = "demo", login: str = "admin",
                 timeout: float | None = None) -> None:
        self.url, self.db, self.timeout = url, db, timeout
        self.uid = DEMO_USERS[login]["uid"]
        self.password = DEMO_USERS[login]["password"]

    def proxy(self, service: str) -> xmlrpc.client.ServerProxy:
        """Return a fresh proxy for one service (ServerProxy is not thread-safe)."""
        transport = _TimeoutTransport(self.timeout) if self.timeout else None
        return xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/{service}", transport=transport,
                                         allow_none=True)

    def __call__(self, model: str, method: str, *args: object, **kwargs: object) -> object:
        with self.proxy("object") as proxy:
            return proxy.execute_kw(self.db, self.uid, self.password, model, method,
                                    list(args), kwargs)


class _TimeoutTransport(xmlrpc.client.Transport):
    """A transport with a socket timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: object) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


@pytest.fixture
def call(odoo: OdooDouble) -> Client:
    """execute_kw as admin on the demo database."""
    return Client(odoo.url)


def fault(function: object, *args: object, **kwargs: object) -> xmlrpc.client.Fault:
    """Run a call that must fail and return its Fault."""
    with pytest.raises(xmlrpc.client.Fault) as info:
        function(*args, **kwargs)
    return info.value


def last_line(error: xmlrpc.client.Fault) -> str:
    """The last line of a traceback fault."""
    assert error.faultCode == 1
    assert error.faultString.startswith("Traceback (most recent call last):\n  File \"/usr/lib")
    assert 2000 <= len(error.faultString) <= 4096
    return error.faultString.splitlines()[-1]


# -- common service -----------------------------------------------------------------------------


def test_version(odoo: OdooDouble) -> None:
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common") as common:
        version = common.version()
    assert version["server_version"] == "18.0"
    assert version["server_version_info"] == [18, 0, 0, "final", 0, ""]
    assert version["protocol_version"] == 1


@pytest.mark.parametrize(("db", "login", "password", "expected"), [
    ("demo", "admin", "admin", 2),
    ("demo", "restricted", "restricted", 6),
    ("demo", "portal", "portal", 8),
    ("demo", "admin", ADMIN_KEY, 2),
    ("demo", "admin", "wrong", False),
    ("demo", "nobody", "admin", False),
    ("other", "admin", "admin-other", 2),
    ("other", "admin", "admin", False),
    ("other", "admin", ADMIN_KEY, False),
])
def test_authenticate(odoo: OdooDouble, db: str, login: str, password: str,
                      expected: object) -> None:
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common") as common:
        assert common.authenticate(db, login, password, {}) == expected
        assert common.login(db, login, password) == expected


def test_authenticate_unknown_database_is_a_psycopg2_traceback(odoo: OdooDouble) -> None:
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common") as common:
        error = fault(common.authenticate, "nodb", "admin", "admin", {})
    assert last_line(error).startswith("psycopg2.OperationalError: connection to server")
    assert last_line(error).endswith('FATAL:  database "nodb" does not exist')


def test_password_change_and_new_api_key(odoo: OdooDouble, call: Client) -> None:
    odoo.set_password("demo", "admin", "n3w")
    assert fault(call, "res.partner", "search_count", []).faultString == "Access Denied"
    call.password = "n3w"
    assert call("res.partner", "search_count", []) == 12
    odoo.add_api_key("demo", "admin", "k" * 40)
    call.password = "k" * 40
    assert call("res.partner", "search_count", []) == 12


def test_unknown_path_is_404(odoo: OdooDouble) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(  # noqa: S310 - local test server
            urllib.request.Request(f"{odoo.url}/xmlrpc/2/db", data=b"<x/>"), timeout=5)
    info.value.close()
    assert info.value.code == 404


# -- object service: auth, models, methods --------------------------------------------------------


@pytest.mark.parametrize(("db", "uid", "password"), [
    ("demo", 2, "wrong"), ("demo", 99, "admin"), ("other", 2, "admin"),
])
def test_execute_kw_checks_credentials_every_call(odoo: OdooDouble, db: str, uid: int,
                                                  password: str) -> None:
    with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object") as proxy:
        error = fault(proxy.execute_kw, db, uid, password, "res.partner", "search", [[]], {})
    assert (error.faultCode, error.faultString) == (3, "Access Denied")
    assert odoo.calls[-1].password_ok is False


def test_unknown_model_private_and_unknown_method(call: Client) -> None:
    error = fault(call, "no.such.model", "search", [])
    assert (error.faultCode, error.faultString) == (2, "Object no.such.model doesn't exist")
    error = fault(call, "res.partner", "_read", [])
    assert (error.faultCode, error.faultString) == (
        4, "Private methods (such as _read) cannot be called remotely.")
    assert last_line(fault(call, "res.partner", "no_such_method", [])) == (
        "AttributeError: The method 'no_such_method' does not exist on the model 'res.partner'")


@pytest.mark.parametrize(("method", "args", "kwargs", "message"), [
    ("fields_get", [], {"fields": ["name"]},
     "TypeError: BaseModel.fields_get() got an unexpected keyword argument 'fields'"),
    ("search", [], {}, "TypeError: BaseModel.search() missing 1 required positional argument: "
     "'domain'"),
    ("read", [[1], ["name"], "extra"], {}, "TypeError: BaseModel.read() takes from 2 to 3 "
     "positional arguments but 4 were given"),
    ("search_count", [[]], {"offset": 1},
     "TypeError: BaseModel.search_count() got an unexpected keyword argument 'offset'"),
])
def test_signatures_are_enforced(call: Client, method: str, args: list, kwargs: dict,
                                 message: str) -> None:
    assert last_line(fault(call, "res.partner", method, *args, **kwargs)) == message


def test_every_method_accepts_context(call: Client, odoo: OdooDouble) -> None:
    assert call("res.partner", "search_count", [], context={"lang": "fr_FR"}) == 12
    assert odoo.calls[-1].kwargs == {"context": {"lang": "fr_FR"}}


# -- result shapes ------------------------------------------------------------------------------


def test_search_read_shape(call: Client) -> None:
    rows = call("res.partner", "search_read", [["id", "=", 4]],
                fields=["name", "parent_id", "category_id", "child_ids", "phone", "is_company"])
    assert rows == [{"id": 4, "name": "Brandon Freeman", "parent_id": [2, "Azure Interior"],
                     "category_id": [], "child_ids": [], "phone": False, "is_company": False}]


def test_read_without_fields_returns_all_and_skips_missing_ids(call: Client) -> None:
    rows = call("res.partner", "read", [999999, 2, 4])
    assert [row["id"] for row in rows] == [2, 4]
    assert rows[0]["child_ids"] == [4, 5]
    assert rows[1]["display_name"] == "Azure Interior, Brandon Freeman"
    assert {"name", "email", "create_date", "company_id"} <= set(rows[0])
    assert call("res.partner", "read", [999999], ["name"]) == []


def test_fields_get(call: Client) -> None:
    fields = call("res.partner", "fields_get", attributes=["string", "type", "relation",
                                                           "required", "selection"])
    assert fields["name"] == {"string": "Name", "type": "char", "required": True}
    assert fields["parent_id"]["relation"] == "res.partner"
    assert ["contact", "Contact"] in fields["type"]["selection"]
    assert set(call("res.partner", "fields_get", ["name", "email"])) == {"name", "email"}


def test_default_get(call: Client) -> None:
    wanted = ["type", "active", "lang", "is_company", "tz", "color", "name", "email"]
    assert call("res.partner", "default_get", wanted) == {
        "type": "contact", "active": True, "lang": "en_US", "is_company": False, "tz": False,
        "color": 0}


def test_name_search(call: Client) -> None:
    assert call("res.partner", "name_search", "azure") == [
        [2, "Azure Interior"], [4, "Azure Interior, Brandon Freeman"],
        [5, "Azure Interior, Nicole Ford"]]
    assert len(call("res.partner", "name_search", limit=3)) == 3


def test_read_group_lazy_and_eager(call: Client) -> None:
    lazy = call("sale.order", "read_group", [], ["amount_total"], ["state"])
    sale = next(row for row in lazy if row["state"] == "sale")
    assert sale["state_count"] == 2
    assert sale["amount_total"] == 2617.5
    assert sale["__domain"] == [["state", "=", "sale"]]
    eager = call("sale.order", "read_group", [["state", "=", "sale"]], ["amount_total:sum"],
                 ["partner_id", "state"], lazy=False)
    assert {tuple(row["partner_id"]) for row in eager} == {(2, "Azure Interior"),
                                                          (8, "Gemini Furniture")}
    assert all(row["__count"] == 1 for row in eager)


def test_databases_are_independent(odoo: OdooDouble) -> None:
    other = Client(odoo.url, db="other")
    other.password = "admin-other"
    assert other("res.partner", "read", [2], ["name"]) == [{"id": 2, "name": "Blue Harbor Ltd"}]
    other("res.partner", "write", [2], {"name": "Changed"})
    assert odoo.records("demo", "res.partner")[1]["name"] == "Azure Interior"


# -- domains, order, paging ----------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "expected"), [
    ([["name", "=", "Deco Addict"]], [6]),
    ([["name", "!=", "Deco Addict"], ["is_company", "=", True]], [2, 8, 14, 1]),
    ([["color", ">", 0]], [14]),
    ([["color", ">=", 4]], [14]),
    ([["id", "<", 3]], [2, 1]),
    ([["id", "<=", 2]], [2, 1]),
    ([["id", "in", [4, 5, 999]]], [4, 5]),
    ([["id", "not in", list(range(1, 11))]], [11, 14]),
    ([["name", "like", "Ad"]], [7, 6, 3]),
    ([["name", "ilike", "ad"]], [7, 6, 3, 14]),
    ([["name", "not ilike", "a"], ["is_company", "=", False]], [10, 5]),
    ([["name", "not like", "a"], ["is_company", "=", False]], [7, 10, 3, 5]),
    ([["name", "=like", "Ma%"]], [11]),
    ([["name", "=ilike", "_ICOLE%"]], [5]),
    ([["email", "=", False], ["is_company", "=", False]], [7]),
    ([["parent_id", "=", 2]], [4, 5]),
    ([["parent_id", "=", "Azure Interior"]], [4, 5]),
    ([["parent_id.name", "ilike", "gemini"]], [9]),
    ([["category_id", "in", [2]]], [6, 8]),
    ([["category_id", "!=", False]], [7, 2, 6, 8]),
    ([["id", "child_of", 2]], [2, 4, 5]),
    (["|", ["id", "=", 4], ["id", "=", 5]], [4, 5]),
    (["&", ["parent_id", "=", 2], ["type", "=", "invoice"]], [5]),
    (["!", ["is_company", "=", False]], [2, 6, 8, 14, 1]),
    (["|", "&", ["id", "=", 4], ["id", "=", 5], ["id", "=", 6]], [6]),
    ([[1, "=", 1], ["id", "=", 3]], [3]),
    ([[0, "=", 1]], []),
])
def test_domain_operators(call: Client, domain: list, expected: list[int]) -> None:
    assert call("res.partner", "search", domain) == expected


def test_active_test(call: Client) -> None:
    assert call("res.partner", "search_count", []) == 12
    assert call("res.partner", "search_count", [], context={"active_test": False}) == 14
    assert call("res.partner", "search", [["active", "=", False]]) == [13, 12]
    assert call("res.partner", "name_search", "old", context={"active_test": False}) == [
        [12, "Old Supplier Ltd"]]


@pytest.mark.parametrize(("domain", "message"), [
    ([["name", "badop", "x"]], "ValueError: Invalid leaf ('name', 'badop', 'x')"),
    ([["nofield", "=", "x"]],
     "ValueError: Invalid field res.partner.nofield in leaf ('nofield', '=', 'x')"),
    ([["parent_id.nofield", "=", "x"]],
     "ValueError: Invalid field res.partner.nofield in leaf ('parent_id.nofield', '=', 'x')"),
    (["|", ["id", "=", 1]], "ValueError: Domain ['|', ['id', '=', 1]] is syntactically not "
     "correct."),
    ([["id", "="]], "ValueError: Invalid leaf ('id', '=')"),
])
def test_bad_domains(call: Client, domain: list, message: str) -> None:
    assert last_line(fault(call, "res.partner", "search", domain)) == message


def test_order_limit_offset(call: Client) -> None:
    assert call("res.partner", "search", [["is_company", "=", True]]) == [2, 6, 8, 14, 1]
    assert call("res.partner", "search", [["is_company", "=", True]], order="id desc") == [
        14, 8, 6, 2, 1]
    assert call("res.partner", "search", [], limit=2, offset=1, order="id") == [2, 3]
    rows = call("res.partner", "search_read", [["parent_id", "!=", False]], fields=["name"],
                order="parent_id desc, name asc", limit=3)
    assert [row["name"] for row in rows] == ["Marc Demo", "Mitchell Admin", "Edwin Hansen"]
    assert call("sale.order", "search", []) == [5, 4, 3, 2, 1]
    assert call("res.partner", "search_count", [], limit=5) == 5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"order": "nofield desc"}, "ValueError: Invalid field 'nofield' on model 'res.partner'"),
    ({"fields": ["name", "nofield"]},
     "ValueError: Invalid field 'nofield' on model 'res.partner'"),
])
def test_unknown_fields_in_order_and_fields(call: Client, kwargs: dict, message: str) -> None:
    assert last_line(fault(call, "res.partner", "search_read", [], **kwargs)) == message


# -- writes ---------------------------------------------------------------------------------------


def test_create_single_and_list(call: Client, odoo: OdooDouble) -> None:
    new_id = call("res.partner", "create", {"name": "Solo", "parent_id": 2})
    assert isinstance(new_id, int)
    ids = call("res.partner", "create", [{"name": "One"}, {"name": "Two", "is_company": True}])
    assert ids == [new_id + 1, new_id + 2]
    stored = odoo.records("demo", "res.partner")[-1]
    assert (stored["name"], stored["type"], stored["active"]) == ("Two", "contact", True)
    assert call("res.partner", "read", [new_id], ["display_name"])[0]["display_name"] == (
        "Azure Interior, Solo")


def test_x2many_commands(call: Client) -> None:
    tag = call("res.partner.category", "create", {"name": "Fresh"})
    partner = call("res.partner", "create", {"name": "Tagged", "category_id": [[6, 0, [1, 2]]],
                                             "child_ids": [[0, 0, {"name": "Kid"}]]})
    call("res.partner", "write", [partner], {"category_id": [[4, tag], [3, 1]]})
    row = call("res.partner", "read", [partner], ["category_id", "child_ids"])[0]
    assert row["category_id"] == [2, tag]
    kid = row["child_ids"][0]
    assert call("res.partner", "read", [kid], ["parent_id"])[0]["parent_id"] == [
        partner, "Tagged"]
    call("res.partner", "write", [partner], {"category_id": [[5]]})
    call("res.partner", "write", [partner], {"category_id": [1]})
    assert call("res.partner", "read", [partner], ["category_id"])[0]["category_id"] == [1]


def test_write_unlink_and_missing_records(call: Client) -> None:
    assert call("res.partner", "write", [4], {"phone": "+32 2 555 00 00", "parent_id": False})
    assert call("res.partner", "read", [4], ["phone", "parent_id"]) == [
        {"id": 4, "phone": "+32 2 555 00 00", "parent_id": False}]
    assert call("res.partner", "unlink", [4]) is True
    assert call("res.partner", "read", [4]) == []
    for method, args in (("write", [[999999], {"name": "x"}]), ("unlink", [[999999]])):
        error = fault(call, "res.partner", method, *args)
        assert (error.faultCode, error.faultString) == (
            2, "Record does not exist or has been deleted.\n(Record: res.partner(999999,), "
            "User: 2)")


@pytest.mark.parametrize(("model", "vals", "code", "message"), [
    ("res.partner", {"email": "x@example.com"}, 2,
     "The operation cannot be completed: Contacts require a name"),
    ("res.partner.category", {"color": 1}, 2,
     "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
     "- Delete: another model requires the record being deleted. If possible, archive it "
     "instead.\n\nModel: Partner Tags (res.partner.category)\nField: Name (name)\n"),
    ("res.partner", {"name": "x", "type": "nope"}, 1,
     "ValueError: Wrong value for res.partner.type: 'nope'"),
    ("res.partner", {"name": "x", "nofield": 1}, 1,
     "ValueError: Invalid field 'nofield' on model 'res.partner'"),
])
def test_create_errors(call: Client, model: str, vals: dict, code: int, message: str) -> None:
    error = fault(call, model, "create", vals)
    assert error.faultCode == code
    assert (last_line(error) if code == 1 else error.faultString) == message


def test_sale_order_actions(call: Client, odoo: OdooDouble) -> None:
    order = call("sale.order", "create", {"partner_id": 4})
    assert call("sale.order", "read", [order], ["name", "state"]) == [
        {"id": order, "name": f"S{order:05d}", "state": "draft"}]
    assert call("sale.order", "action_confirm", [order]) is True
    assert call("sale.order", "action_cancel", [order]) is True
    assert odoo.records("demo", "sale.order")[-1]["state"] == "cancel"


# -- access rights -----------------------------------------------------------------------------


def test_restricted_user(odoo: OdooDouble) -> None:
    restricted = Client(odoo.url, login="restricted")
    assert restricted("res.groups", "search_count", []) == 4
    assert restricted("res.partner", "create", {"name": "Allowed"})
    error = fault(restricted, "res.groups", "create", {"name": "Nope"})
    assert error.faultCode == 4
    assert error.faultString.startswith(
        "You are not allowed to create 'Access Groups' (res.groups) records.")
    error = fault(restricted, "res.partner", "unlink", [4])
    assert error.faultString.startswith(
        "You are not allowed to delete 'Contact' (res.partner) records.")
    error = fault(restricted, "product.product", "write", [1], {"name": "x"})
    assert error.faultString.startswith(
        "You are not allowed to modify 'Product Variant' (product.product) records.")


def test_portal_user_and_access_override(odoo: OdooDouble) -> None:
    portal = Client(odoo.url, login="portal")
    error = fault(portal, "res.partner", "search_read", [])
    assert error.faultCode == 4
    assert error.faultString.startswith(
        "Uh-oh! Looks like you have stumbled upon some top-secret records.")
    assert portal("product.product", "search_count", []) == 7
    odoo.set_access("demo", "portal", "res.partner", "r")
    assert portal("res.partner", "search_count", []) == 12
    odoo.set_access("demo", "admin", "res.partner", "r")
    assert fault(Client(odoo.url), "res.partner", "unlink", [4]).faultCode == 4


# -- call log, latency ------------------------------------------------------------------------


def test_call_counters(odoo: OdooDouble, call: Client) -> None:
    call("res.partner", "search", [])
    call("res.partner", "read", [1], ["name"], context={"lang": "en_US"})
    fault(call, "res.partner", "_read", [])
    assert odoo.count(service="object") == 3
    assert odoo.count(model="res.partner", model_method="read") == 1
    assert odoo.count(method="authenticate") == 0
    read = odoo.calls[1]
    assert (read.db, read.uid, read.args, read.kwargs, read.password_ok) == (
        "demo", 2, [[1], ["name"]], {"context": {"lang": "en_US"}}, True)
    odoo.clear_calls()
    assert odoo.calls == []


def test_latency_runs_calls_in_parallel(odoo: OdooDouble) -> None:
    odoo.latency = 0.2
    results: list[object] = []

    def work() -> None:
        results.append(Client(odoo.url)("res.partner", "search_count", []))

    threads = [threading.Thread(target=work) for _ in range(32)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert results == [12] * 32
    assert 0.2 <= elapsed < 1.0


# -- failure modes ------------------------------------------------------------------------------


def test_refuse_then_come_back_on_same_port(odoo: OdooDouble, call: Client) -> None:
    port = odoo.port
    odoo.go_down()
    with pytest.raises(ConnectionRefusedError):
        call("res.partner", "search_count", [])
    odoo.come_back()
    assert odoo.port == port
    assert call("res.partner", "search_count", []) == 12
    odoo.failure = "refuse"
    with pytest.raises(ConnectionRefusedError), socket.create_connection(
            ("127.0.0.1", port), timeout=1):
        pass
    odoo.failure = None
    assert call("res.partner", "search_count", []) == 12


def test_hang_times_out_then_recovers(odoo: OdooDouble) -> None:
    odoo.failure = "hang"
    with pytest.raises(TimeoutError):
        Client(odoo.url, timeout=0.5)("res.partner", "search_count", [])
    odoo.failure = None
    assert Client(odoo.url, timeout=2)("res.partner", "search_count", []) == 12


@pytest.mark.parametrize(("mode", "errors"), [
    # The HTML body is well-formed XML, so the client parses it and finds no response in it.
    ("non_xml", (xmlrpc.client.ResponseError, xmlrpc.client.ProtocolError, ExpatError)),
    ("reset", (ConnectionResetError, http.client.RemoteDisconnected)),
    ("http_500", (xmlrpc.client.ProtocolError,)),
])
def test_failure_modes(odoo: OdooDouble, call: Client, mode: str, errors: tuple) -> None:
    odoo.failure = mode
    with pytest.raises(errors):
        call("res.partner", "search_count", [])
    odoo.failure = None
    assert call("res.partner", "search_count", []) == 12


def test_cli_prints_banner_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        assert banner.startswith("Odoo sandbox listening on http://127.0.0.1:")
        url = banner.split()[4]
        with xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common") as common:
            assert common.authenticate("demo", "admin", "admin", {}) == 2
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        process.stdout.close()
