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
