"""Talking to Odoo: the only module that imports ``xmlrpc.client``.

Every call is bounded by a socket timeout. Low-level failures are translated into the gateway's
errors in exactly one place, ``translate_errors``::

    xmlrpc.client.Fault 1 (traceback)     -> OdooError (422), the traceback's last line
    Fault 2 (user/validation/missing)     -> OdooError (422), or NotFound (404) for a missing record
    Fault 3 (Access Denied)               -> AuthFailed (401)
    Fault 4 (access rights)               -> OdooAccessError (403)
    an integer beyond XML-RPC's 32 bits   -> InvalidRequest (400), before anything is sent
    timeout                               -> OdooTimeout (504)
    refused, reset, DNS, TLS, not XML-RPC -> ConnectionFailed (502)
    answer above MAX_RESPONSE_BYTES       -> ConnectionFailed (502), raised by the transport
    connected to a metadata address       -> UrlNotAllowed (403), raised by the transport's guard
    circuit open (see app.odoo.breaker)        -> OdooUnavailable (503)

Retries are explicit (the stdlib transport silently retries every call once, writes included):
an idle keep-alive connection is checked before reuse and replaced when the server closed it,
which is safe for any call since nothing was sent; a call that then fails to connect or loses
its connection is retried once only when it is idempotent (reads, ``authenticate``, ``version``).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import xmlrpc.client
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from xml.parsers.expat import ExpatError

from cachetools import LRUCache

from app.base.errors import (
    AuthFailed,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    OdooAccessError,
    OdooError,
    OdooTimeout,
    ResponseTooLarge,
)
from app.odoo import xmlanswer
from app.odoo.breaker import CircuitBreaker
from app.odoo.credentials import Credentials
from app.odoo.urlpolicy import guarded_connect

UNREACHABLE = (
    "Could not reach Odoo at {url}: check the URL and that Odoo is running and reachable "
    "from the gateway."
)
_NOT_XMLRPC = (
    "Odoo at {url} did not answer with XML-RPC: check that the URL points to an Odoo server "
    "(not a login page or a proxy error page)."
)
TIMEOUT = "Odoo at {url} did not answer within {timeout:g} seconds; try again later or ask for less data."
_MISSING = "Record does not exist or has been deleted"
RESPONSE_TOO_LARGE = (
    "Odoo's answer is larger than {limit} bytes (MAX_RESPONSE_BYTES): ask for less data "
    "(a smaller limit, fewer fields or ids)."
)
DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024


# Failures to connect or of a connection lost before an answer: safe to retry an idempotent call.
_RETRYABLE = (ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
              http.client.RemoteDisconnected)


class _TimeoutMixin:
    """A socket timeout on every connection, a guard on the address it connects to, a cap on the
    size of the answer it reads, and an explicit retry policy instead of the stdlib's."""

    timeout: float
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    guard: Callable[[socket.socket], None] | None = None
    # Asking for gzip would let a small answer inflate past the cap before it is counted.
    accept_gzip_encoding = False
    idempotent = False  # set by the connector before each call
    _connection: tuple

    def make_connection(self, host):  # type: ignore[no-untyped-def]
        connection = super().make_connection(host)  # type: ignore[misc]
        connection.timeout = self.timeout  # applied when the connection opens its socket
        if self.guard is not None:
            connection._create_connection = guarded_connect(self.guard)
        return connection

    def parse_response(self, response):  # type: ignore[no-untyped-def]
        """Like xmlrpc's, but reads at most ``max_response_bytes`` (decoded) of the answer."""
        gzipped = response.getheader("Content-Encoding", "") == "gzip"
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        # Small plain answers are read in C (xmlanswer); anything else, and any answer past
        # 1 MB, goes on through the stdlib's parser as the bytes arrive.
        reader = xmlanswer.AnswerReader(self._use_datetime, self._use_builtin_types)  # type: ignore[attr-defined]
        total = 0
        while chunk := response.read(65_536):
            if inflate is not None:
                chunk = inflate.decompress(chunk, self.max_response_bytes - total + 1)
                if inflate.unconsumed_tail:
                    total = self.max_response_bytes + 1
            total += len(chunk)
            if total > self.max_response_bytes:
                raise ResponseTooLarge(RESPONSE_TOO_LARGE.format(limit=self.max_response_bytes))
            reader.feed(chunk)
        return reader.close()

    def request(self, host, handler, request_body, verbose=False):  # type: ignore[no-untyped-def]
        """One attempt, and a second one only for an idempotent call whose connection failed."""
        self._drop_stale_connection()
        try:
            return self.single_request(host, handler, request_body, verbose)  # type: ignore[attr-defined]
        except _RETRYABLE:
            if not self.idempotent:
                raise
        return self.single_request(host, handler, request_body, verbose)  # type: ignore[attr-defined]

    def _drop_stale_connection(self) -> None:
        """Close the kept-alive connection if the server closed it (or sent anything) meanwhile."""
        connection = self._connection[1] if self._connection else None
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        poller = select.poll()  # poll, not select: no FD_SETSIZE limit on busy workers
        poller.register(sock, select.POLLIN)
        if poller.poll(0):  # an idle connection is readable only at EOF, a reset or garbage
            self.close()  # type: ignore[attr-defined]


class _Transport(_TimeoutMixin, xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout


class _SafeTransport(_TimeoutMixin, xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float) -> None:
        super().__init__(context=ssl.create_default_context())
        self.timeout = timeout


class _IdleProxies(LRUCache):
    """Idle proxies by endpoint; an endpoint pushed out of the cache has its connections closed."""

    def popitem(self):  # type: ignore[no-untyped-def]
        endpoint, proxies = super().popitem()
        for proxy in proxies:
            proxy("close")()
        return endpoint, proxies


class OdooConnector:
    """Makes XML-RPC calls to Odoo servers; safe to share between threads.

    ``ServerProxy`` is not thread-safe, so each call checks a proxy (and its keep-alive
    connection) out of a small idle pool and returns it afterwards: calls with the same key run
    in parallel, and the number of open connections follows the number of calls in flight.
    """

    def __init__(self, timeout: float, max_idle_per_endpoint: int = 16, *,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 guard: Callable[[socket.socket], None] | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.guard = guard  # checks each new connection's peer address (see app.odoo.urlpolicy)
        self.breaker = breaker or CircuitBreaker(failures=5, cooldown=30.0)
        self._max_idle = max_idle_per_endpoint
        self._idle = _IdleProxies(maxsize=256)
        self._lock = threading.Lock()

    def authenticate(self, credentials: Credentials) -> int:
        """The uid of ``credentials``; AuthFailed when Odoo rejects the login."""
        c = credentials
        try:
            uid = self._call(c.url, "common", "authenticate", c.database, c.username, c.password, {},
                             idempotent=True)
        except OdooError as error:
            if "does not exist" in error.message and "database" in error.message:
                raise AuthFailed(
                    f"Odoo has no database {c.database!r}: check the database name."
                ) from None
            raise
        if not uid:
            raise AuthFailed(
                f"Odoo rejected the login of {c.username!r} on database {c.database!r}: "
                "check the username and the password or Odoo API key."
            )
        return int(uid)

    def execute_kw(self, credentials: Credentials, uid: int, model: str, method: str,
                   args: list, kwargs: dict, idempotent: bool = False) -> Any:
        """Run ``model.method(*args, **kwargs)`` in Odoo as ``uid``; only reads are idempotent."""
        c = credentials
        return self._call(c.url, "object", "execute_kw", c.database, uid, c.password, model,
                          method, args, kwargs, idempotent=idempotent)

    def version(self, url: str) -> dict:
        return self._call(url, "common", "version", idempotent=True)

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            while self._idle:
                self._idle.popitem()

    def _call(self, url: str, service: str, method: str, *args: Any, idempotent: bool) -> Any:
        self.breaker.before(url)
        endpoint = f"{url}/xmlrpc/2/{service}"
        proxy = self._checkout(endpoint)
        proxy("transport").idempotent = idempotent
        reusable = False
        try:
            with translate_errors(url, self.timeout):
                try:
                    result = getattr(proxy, method)(*args)
                except xmlrpc.client.Fault:
                    reusable = True  # a fault is a complete answer: the connection is fine
                    raise
            reusable = True
            return result
        except ResponseTooLarge:
            raise  # Odoo answered: a too-large answer says nothing about its health
        except (ConnectionFailed, OdooTimeout):
            self.breaker.failed(url)
            raise
        finally:
            if reusable:
                self.breaker.succeeded(url)
                self._checkin(endpoint, proxy)
            else:
                self.breaker.released(url)  # a no-op after failed(); frees a probe on a bug
                proxy("close")()  # the connection's state is unknown after a failure

    def _checkout(self, endpoint: str) -> xmlrpc.client.ServerProxy:
        with self._lock:
            idle = self._idle.get(endpoint)
            if idle:
                return idle.pop()
        transport_class = _SafeTransport if endpoint.startswith("https:") else _Transport
        transport = transport_class(self.timeout)
        transport.max_response_bytes, transport.guard = self.max_response_bytes, self.guard
        return xmlrpc.client.ServerProxy(endpoint, transport=transport, allow_none=True)

    def _checkin(self, endpoint: str, proxy: xmlrpc.client.ServerProxy) -> None:
        with self._lock:
            idle = self._idle.setdefault(endpoint, [])
            if len(idle) < self._max_idle:
                idle.append(proxy)
                return
        proxy("close")()


@contextmanager
def translate_errors(url: str, timeout: float) -> Iterator[None]:
    """Turn anything raised while talking to Odoo into a GatewayError."""
    try:
        yield
    except xmlrpc.client.Fault as fault:
        raise _from_fault(fault) from None
    except OverflowError:
        # Raised while marshalling, before anything is sent: XML-RPC integers are 32-bit.
        raise InvalidRequest(
            "A number in the arguments is too large for Odoo's XML-RPC: integers must lie "
            "between -2147483648 and 2147483647 (send larger numbers as text)."
        ) from None
    except TimeoutError:
        raise OdooTimeout(TIMEOUT.format(url=url, timeout=timeout)) from None
    except (xmlrpc.client.ProtocolError, ExpatError, xmlrpc.client.ResponseError) as error:
        raise ConnectionFailed(_NOT_XMLRPC.format(url=url)) from error
    except (OSError, http.client.HTTPException) as error:
        # One message for refused, reset, unresolvable and TLS failures: no errno text, so
        # the gateway is not an oracle for probing networks.
        raise ConnectionFailed(UNREACHABLE.format(url=url)) from error


def _from_fault(fault: xmlrpc.client.Fault) -> Exception:
    code, text = fault.faultCode, str(fault.faultString or "")
    message = _last_line(text) if code == 1 or "Traceback (most recent call last)" in text else text
    message = message.strip() or "Odoo refused the operation."
    if code == 3 or message == "Access Denied":
        return AuthFailed(
            "Odoo rejected the key's credentials (Access Denied): the password or API key was "
            "probably changed; mint a new key with POST /auth/generate."
        )
    if code == 4:
        return OdooAccessError(message)
    if code == 2 and message.startswith(_MISSING):
        return NotFound(message)
    return OdooError(message)


def _last_line(traceback_text: str) -> str:
    """The exception line of a Python traceback, without its exception class."""
    lines = [line.strip() for line in traceback_text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    head, sep, rest = last.partition(": ")
    if sep and head.replace(".", "").replace("_", "").isalnum() and head[:1].isalpha():
        return rest
    return last
