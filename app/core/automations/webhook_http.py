"""Webhooks out: the target-URL policy, Standard Webhooks signatures, and the bounded HTTP POST.

A subscription's URL is the caller's choice, so it is checked like a door out of the network
(no SSRF): ``WebhookPolicy.check`` runs at creation and again before every delivery, and
``guard_socket`` checks the address actually connected to (DNS rebinding) before a byte is sent.
Metadata and link-local addresses are always refused; private, loopback and other special
addresses unless ``WEBHOOK_ALLOW_PRIVATE``; with ``WEBHOOK_ALLOWED_URLS`` only matching origins.

The POST goes through urllib3 (not ``http.client``, which tests/test_layout.py keeps to app/odoo:
this is not Odoo), without redirects or retries of its own, with connect and read timeouts and at
most ``max_answer_bytes`` of the receiver's answer read.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import urllib3
from standardwebhooks.webhooks import Webhook
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from app.base.errors import UrlNotAllowed
from app.base.urls import DEFAULT_PORTS, endpoint, parse_pattern
from app.odoo.urlpolicy import blocked, resolve

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix Standard Webhooks secrets carry
USER_AGENT = "odoo-gateway-webhooks/1"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    import base64

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    return Webhook(secret).sign(webhook_id, datetime.fromtimestamp(timestamp, UTC), body)


def _special(address: str) -> bool:
    """Private, loopback, shared, reserved or multicast: not somewhere on the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global


class WebhookPolicy:
    """Decides whether the gateway may POST to a subscription's URL."""

    def __init__(self, patterns: Iterable[str] = (), allow_private: bool = False) -> None:
        self.patterns = tuple(parse_pattern(p) for p in patterns)
        self.allow_private = allow_private

    def check(self, url: str) -> None:
        """Raise UrlNotAllowed unless ``url`` may receive deliveries (resolves the host; no connection)."""
        scheme, host, port, parts = endpoint(url)
        if scheme not in DEFAULT_PORTS or not host or not port or parts.username or parts.password:
            raise UrlNotAllowed("A webhook URL must be http(s)://host[:port]/path, without user or password.")
        if self.patterns and not any(p.matches(scheme, host, port) for p in self.patterns):
            raise UrlNotAllowed(f"This gateway does not deliver to {scheme}://{host}:{port}: it is not "
                                "in WEBHOOK_ALLOWED_URLS (ask the operator to add it).")
        addresses = resolve(host, port)
        if not addresses:
            raise UrlNotAllowed(f"The webhook host {host!r} does not resolve.")
        for address in addresses:
            self._judge(address, host)

    def guard_socket(self, sock: socket.socket) -> None:
        peer = sock.getpeername()
        self._judge(str(peer[0]) if isinstance(peer, tuple) else "", "the connected peer")

    def _judge(self, address: str, host: str) -> None:
        if blocked(address):
            raise UrlNotAllowed(f"This gateway never delivers to {host}: it is (or resolves to) a "
                                "link-local or cloud metadata address.")
        if _special(address) and not self.allow_private:
            raise UrlNotAllowed(f"This gateway does not deliver to {host}: it is (or resolves to) a "
                                "private or loopback address. An operator can allow those with "
                                "WEBHOOK_ALLOW_PRIVATE=true.")


@dataclass(frozen=True)
class Answer:
    """What a delivery attempt got: a status, or an error (timeout, refused, reset, too large)."""

    status: int | None
    retry_after: float | None = None
    error: str | None = None


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class Sender:
    """POSTs signed bodies; one urllib3 pool manager whose connections the policy guards."""

    def __init__(self, policy: WebhookPolicy, timeout: float, max_answer_bytes: int) -> None:
        self.policy = policy
        self.timeout = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
        self.max_answer_bytes = max_answer_bytes
        self._pools = urllib3.PoolManager(num_pools=50, maxsize=2, block=False, retries=False)
        self._pools.pool_classes_by_scheme = {"http": _pool(HTTPConnectionPool, HTTPConnection, policy),
                                              "https": _pool(HTTPSConnectionPool, HTTPSConnection, policy)}

    def post(self, url: str, body: bytes, headers: dict[str, str], now: float) -> Answer:
        self.policy.check(url)  # raises UrlNotAllowed before any connection
        try:
            response = self._pools.request(
                "POST", url, body=body, headers={"Content-Type": "application/json",
                                                 "User-Agent": USER_AGENT, **headers},
                timeout=self.timeout, retries=False, redirect=False, preload_content=False)
        except UrlNotAllowed:
            raise
        except urllib3.exceptions.TimeoutError:
            return Answer(None, error="timeout")
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Answer(None, error=_reason(error))
        try:
            response.read(self.max_answer_bytes + 1, decode_content=False)  # bounded, then dropped
            complete = response.read(1, decode_content=False) == b""
        except (urllib3.exceptions.HTTPError, OSError):
            complete = False
        finally:
            if complete:
                response.release_conn()
            else:
                response.close()  # an answer too long or broken: the connection is not reused
        return Answer(response.status, retry_after(response.headers.get("Retry-After"), now))

    def close(self) -> None:
        self._pools.clear()


def _reason(error: BaseException) -> str:
    """A short cause, never the URL's query (it may hold a receiver's token)."""
    text = type(getattr(error, "reason", None) or error).__name__
    return {"NewConnectionError": "connection refused", "ProtocolError": "connection reset"}.get(text, text)


def _pool(pool_class: type, connection_class: type, policy: WebhookPolicy) -> type:
    """A connection pool class whose new sockets ``policy.guard_socket`` checks before use."""

    class Guarded(connection_class):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            try:
                policy.guard_socket(sock)
            except BaseException:
                sock.close()
                raise
            return sock

    return type(f"Guarded{pool_class.__name__}", (pool_class,), {"ConnectionCls": Guarded})
