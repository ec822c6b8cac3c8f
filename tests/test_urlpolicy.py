"""The Odoo URL policy: allow-list patterns, metadata addresses, the connect-time guard, redirects."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.base.errors import UrlNotAllowed
from app.odoo import urlpolicy
from app.odoo.credentials import Credentials
from app.odoo.json2 import Json2Connector
from app.odoo.urlpolicy import UrlPolicy, blocked, parse_pattern
from app.odoo.xmlrpc import OdooConnector
from tests.conftest import ADMIN_API_KEY
from tests.test_errors_e2e import assert_error


@pytest.mark.parametrize(
    ("pattern", "url", "allowed"),
    [
        ("https://odoo.example.com", "https://odoo.example.com", True),
        ("https://odoo.example.com", "https://ODOO.example.com/", True),
        ("https://odoo.example.com", "https://odoo.example.com:443", True),
        ("https://odoo.example.com", "http://odoo.example.com", False),  # scheme
        ("https://odoo.example.com", "https://odoo.example.com:8443", False),  # port
        ("https://odoo.example.com:8443", "https://odoo.example.com:8443", True),
        ("https://*.odoo.com", "https://acme.odoo.com", True),
        ("https://*.odoo.com", "https://a.b.odoo.com", True),
        ("https://*.odoo.com", "https://odoo.com", False),  # the wildcard needs a label
        ("https://*.odoo.com", "https://evilodoo.com", False),
        ("https://*.odoo.com", "https://odoo.com.evil.test", False),
        ("http://127.0.0.1:8069", "http://127.0.0.1:8069", True),
    ],
)
def test_patterns(pattern, url, allowed, monkeypatch) -> None:
    monkeypatch.setattr(urlpolicy, "resolve", lambda host, port: ("203.0.113.7",))
    policy = UrlPolicy([pattern])
    if allowed:
        policy.check(url)
    else:
        with pytest.raises(UrlNotAllowed):
            policy.check(url)


@pytest.mark.parametrize(
    "bad", ["odoo.example.com", "ftp://odoo.example.com", "https://odoo.example.com/web",
            "https://*", "https://a.*.com", "https://*odoo.com", "https://odoo.example.com:99999",
            "https://user@odoo.example.com"],
)
def test_bad_patterns_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        parse_pattern(bad)


@pytest.mark.parametrize(
    ("address", "refused"),
    [("169.254.169.254", True), ("169.254.0.1", True), ("fd00:ec2::254", True),
     ("fe80::1%eth0", True), ("::ffff:169.254.169.254", True), ("100.100.100.200", True),
     ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.1.10", False), ("::1", False),
     ("203.0.113.7", False), ("not-an-ip", True)],
)
def test_blocked_addresses(address, refused) -> None:
    assert blocked(address) is refused


def test_resolutions_are_cached_briefly(monkeypatch) -> None:
    seen: list[str] = []

    def resolve(host: str, port: int) -> tuple[str, ...]:
        seen.append(host)
        return ("203.0.113.7",)

    monkeypatch.setattr(urlpolicy, "resolve", resolve)
    policy = UrlPolicy()
    for _ in range(50):
        policy.check("https://odoo.example.com")
    assert seen == ["odoo.example.com"]


def test_allow_private_odoo_lets_metadata_through() -> None:
    UrlPolicy(allow_private=True).check("http://169.254.169.254")
    with pytest.raises(UrlNotAllowed):
        UrlPolicy().check("http://169.254.169.254")


def test_connect_time_guard_stops_dns_rebinding(odoo, monkeypatch) -> None:
    """The check saw a harmless address; the socket actually connects to a blocked one."""
    monkeypatch.setattr(urlpolicy, "BLOCKED_NETWORKS", (ipaddress.ip_network("127.0.0.0/8"),))
    monkeypatch.setattr(urlpolicy, "resolve", lambda host, port: ("203.0.113.7",))
    policy = UrlPolicy()
    policy.check(odoo.url)  # passes: the "DNS answer" was public
    connector = OdooConnector(3.0, guard=policy.guard_socket)
    try:
        with pytest.raises(UrlNotAllowed):
            connector.version(odoo.url)
    finally:
        connector.close()
    assert odoo.count() == 0  # refused after connect, before a byte of the request was sent


def test_connect_time_guard_covers_json2(odoo, monkeypatch) -> None:
    monkeypatch.setattr(urlpolicy, "BLOCKED_NETWORKS", (ipaddress.ip_network("127.0.0.0/8"),))
    odoo.version = "19.0"
    connector = Json2Connector(3.0, guard=UrlPolicy().guard_socket)
    credentials = Credentials(odoo.url, "demo", "admin", ADMIN_API_KEY)
    try:
        with pytest.raises(UrlNotAllowed):
            connector.execute_kw(credentials, 2, "res.partner", "search_count", [[]], {})
    finally:
        connector.close()
    assert odoo.count() == 0


def test_connect_time_guard_covers_jsonrpc(odoo, monkeypatch) -> None:
    from app.odoo.jsonrpc import JsonRpcConnector

    monkeypatch.setattr(urlpolicy, "BLOCKED_NETWORKS", (ipaddress.ip_network("127.0.0.0/8"),))
    connector = JsonRpcConnector(3.0, guard=UrlPolicy().guard_socket)
    try:
        with pytest.raises(UrlNotAllowed):
            connector.authenticate(Credentials(odoo.url, "demo", "admin", "admin"))
    finally:
        connector.close()
    assert odoo.count() == 0


class _Redirect(BaseHTTPRequestHandler):
    status = 301

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.status)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture(params=[301, 307])
def redirector(request) -> Iterator[str]:
    handler = type("Handler", (_Redirect,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_redirects_to_another_host_are_not_followed(api, redirector, monkeypatch) -> None:
    contacted: list[tuple] = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        contacted.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    body = assert_error(api.generate(url=redirector), 502, "connection_failed")
    assert "169.254" not in body["error"] and "meta-data" not in body["error"]
    assert all(host == "127.0.0.1" for host, _ in contacted) and contacted


def test_unreachable_hosts_share_one_message(api) -> None:
    """Refused, unresolvable and reset answer alike: the gateway is no port-scanning oracle."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    refused = assert_error(api.generate(url=f"http://127.0.0.1:{closed_port}"), 502, "connection_failed")
    unresolved = assert_error(api.generate(url="http://no-such-host.invalid"), 502, "connection_failed")
    api.odoo.failure = "reset"
    reset = assert_error(api.generate(), 502, "connection_failed")
    messages = {b["error"].replace(u, "URL") for b, u in (
        (refused, f"http://127.0.0.1:{closed_port}"), (unresolved, "http://no-such-host.invalid"),
        (reset, api.odoo.url))}
    assert len(messages) == 1
    assert "Errno" not in messages.pop()

