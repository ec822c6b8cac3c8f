"""Talking to Odoo 19+ over JSON-2: ``POST {url}/json/2/{model}/{method}``, named arguments only.

Same interface as ``OdooConnector`` (``authenticate``, ``execute_kw``, ``close``), so tools need not
know the transport: positional arguments are named with ``SIGNATURES``, the one table of Odoo's
parameter names, and results are given as XML-RPC gives them (JSON-2's ``create`` answers a list of
ids even for one dict: the id alone is returned then). Answers and failures are translated to the
same gateway errors as XML-RPC, in XML-RPC's words where JSON-2 words them differently::

    401 / odoo.exceptions.AccessDenied        -> AuthFailed (401)
    403 / odoo.exceptions.AccessError         -> OdooAccessError (403)
    404 odoo.exceptions.MissingError          -> NotFound (404)
    404 unknown model or method, 400, 422, 5xx with a JSON body -> OdooError (422), Odoo's message
    401 with a body that is not JSON          -> AuthFailed (401)
    other statuses with a body that is not JSON (no /json/2 before Odoo 19, proxy pages)
                                              -> ConnectionFailed (502)
    timeout -> OdooTimeout (504); refused, reset, DNS, TLS -> ConnectionFailed (502)

The ``debug`` traceback of an error body is never used nor shown.
"""

from __future__ import annotations

import http.client
import json
import re
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from app.base import jsondepth
from app.base.errors import (
    AuthFailed,
    ConnectionFailed,
    GatewayError,
    InvalidRequest,
    NotFound,
    OdooAccessError,
    OdooError,
    OdooTimeout,
    ResponseTooLarge,
)
from app.odoo.breaker import CircuitBreaker
from app.odoo.credentials import Credentials
from app.odoo.depth import ANSWER_DEPTH, TOO_DEEP
from app.odoo.urlpolicy import guarded_connection
from app.odoo.xmlrpc import _RETRYABLE, RESPONSE_TOO_LARGE, TIMEOUT, UNREACHABLE


class OdooTransport(Protocol):
    """The seam between tools and Odoo: ``OdooConnector`` (XML-RPC) and ``Json2Connector``."""

    def authenticate(self, credentials: Credentials) -> int: ...

    def execute_kw(self, credentials: Credentials, uid: int, model: str, method: str,
                   args: list, kwargs: dict) -> Any: ...

    def close(self) -> None: ...


# method -> (first positional argument is the record ids, names of the other positional arguments)
SIGNATURES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "search": (False, ("domain", "offset", "limit", "order")),
    "search_read": (False, ("domain", "fields", "offset", "limit", "order")),
    "search_count": (False, ("domain", "limit")),
    "read": (True, ("fields", "load")),
    "fields_get": (False, ("allfields", "attributes")),
    "default_get": (False, ("fields",)),  # Odoo 19's name (18 said fields_list)
    "create": (False, ("vals_list",)),
    "write": (True, ("vals",)),
    "unlink": (True, ()),
    "copy": (True, ("default",)),
    "name_search": (False, ("name", "domain", "operator", "limit")),
    "read_group": (False, ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy")),
}
_NOT_JSON2 = (
    "Odoo at {url} did not answer with JSON-2: it needs Odoo 19 or later at that URL; for older "
    "Odoo mint the key with transport 'xmlrpc'."
)
_BY_NAME = {
    "odoo.exceptions.AccessDenied": AuthFailed,
    "odoo.exceptions.AccessError": OdooAccessError,
    "odoo.exceptions.MissingError": NotFound,
}
_BY_STATUS = {401: AuthFailed, 403: OdooAccessError}
# JSON-2 words some refusals differently from XML-RPC: the gateway answers XML-RPC's words for both.
_XMLRPC_WORDING = (
    (re.compile(r"^the model '([^']+)' does not exist$"), r"Object \1 doesn't exist"),
    (re.compile(r"^The method '(.+)\.([^.']+)' does not exist$"),
     r"The method '\2' does not exist on the model '\1'"),
)
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_DENIED = (
    "Odoo rejected the key's credentials (Access Denied): the API key was probably revoked; mint "
    "a new key with POST /auth/generate."
)


def named_arguments(method: str, args: list, kwargs: dict) -> dict:
    """``args`` and ``kwargs`` as JSON-2's named body; InvalidRequest when args cannot be named."""
    takes_ids, names = SIGNATURES.get(method, (None, ()))
    body: dict[str, Any] = {}
    rest = list(args)
    if takes_ids is None:  # a business method: at most the record ids travel by position
        if len(rest) > 1 or (rest and not _is_ids(rest[0])):
            raise InvalidRequest(
                f"JSON-2 takes named arguments only: pass the arguments of {method!r} by name in "
                "'kwargs' (only 'ids' may be given by position)."
            )
        takes_ids = bool(rest)
    if takes_ids and rest:
        body["ids"] = rest.pop(0)
    if len(rest) > len(names):
        raise InvalidRequest(f"Too many positional arguments for {method!r} over JSON-2.")
    body.update(zip(names, rest, strict=False))
    body.update(kwargs)
    return body


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _is_ids(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return all(isinstance(i, int) and not isinstance(i, bool) for i in items)


class Json2Connector:
    """Makes JSON-2 calls to Odoo servers over keep-alive connections; safe to share between threads."""

    def __init__(self, timeout: float, max_idle_per_host: int = 16,
                 max_response_bytes: int = 50 * 1024 * 1024,
                 guard: Callable[[socket.socket], None] | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self.timeout = timeout
        self.breaker = breaker or CircuitBreaker(failures=5, cooldown=30.0)
        self.max_response_bytes = max_response_bytes
        self.guard = guard  # checks each new connection's peer address (see app.odoo.urlpolicy)
        self._max_idle = max_idle_per_host
        self._idle: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def authenticate(self, credentials: Credentials) -> int:
        """The uid of the API key in ``credentials`` (JSON-2 has no login: ``context_get`` tells)."""
        c = credentials
        try:
            context = self.execute_kw(c, 0, "res.users", "context_get", [], {})
        except AuthFailed:
            raise AuthFailed(
                f"Odoo rejected the API key of {c.username!r} on database {c.database!r} over JSON-2: "
                "JSON-2 takes an Odoo API key (not a password); check it, or use transport 'xmlrpc'."
            ) from None
        except OdooError as error:
            if "atabase" in error.message:
                raise AuthFailed(f"Odoo has no database {c.database!r}: check the database name.") from None
            raise
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise ConnectionFailed(_NOT_JSON2.format(url=c.url))
        self._check_login(c, uid)
        return uid

    def _check_login(self, c: Credentials, uid: int) -> None:
        """Refuse an API key that belongs to another user than ``c.username``."""
        try:
            users = self.execute_kw(c, uid, "res.users", "read", [[uid]], {"fields": ["login"]})
        except OdooAccessError:
            return  # users who may not read res.users (portal) keep the key's own identity
        login = users[0].get("login") if users else None
        if isinstance(login, str) and login.casefold() != c.username.casefold():
            raise AuthFailed(f"This Odoo API key belongs to another user than {c.username!r}.")

    def execute_kw(self, credentials: Credentials, uid: int, model: str, method: str,
                   args: list, kwargs: dict) -> Any:
        """Run ``model.method`` in Odoo with the arguments named (``uid`` is the key's; unused)."""
        body = json.dumps(named_arguments(method, args, kwargs)).encode()
        headers = {
            "Authorization": f"bearer {credentials.password}", "X-Odoo-Database": credentials.database,
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "User-Agent": "odoo-gateway",
        }
        if not all(value.isprintable() and _latin1(value) for value in (
                credentials.password, credentials.database)):
            raise AuthFailed("The database name and the API key must be plain text (Latin-1): "
                             "JSON-2 sends them in HTTP headers.")
        parts = urlsplit(credentials.url)
        path = f"{parts.path.rstrip('/')}/json/2/{quote(model)}/{quote(method)}"
        status, raw = self._post(credentials.url, parts.scheme, parts.netloc, path, body, headers)
        return _as_xmlrpc(method, args, kwargs, _answer(credentials.url, status, raw))

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _post(self, url: str, scheme: str, netloc: str, path: str, body: bytes,
              headers: dict, idempotent: bool | None = None) -> tuple[int, bytes]:
        """One POST under the breaker; ``idempotent`` as in ``_exchange_once``."""
        self.breaker.before(url)
        healthy = False
        try:
            answer = self._exchange_once(url, (scheme, netloc), path, body, headers, idempotent)
            healthy = True
            return answer
        except ResponseTooLarge:
            healthy = True  # Odoo answered: a too-large answer says nothing about its health
            raise
        except (ConnectionFailed, OdooTimeout):
            self.breaker.failed(url)
            raise
        finally:
            if healthy:
                self.breaker.succeeded(url)
            else:
                self.breaker.released(url)  # a no-op after failed(); frees a probe on a bug

    def _exchange_once(self, url: str, endpoint: tuple[str, str], path: str, body: bytes,
                       headers: dict, idempotent: bool | None = None) -> tuple[int, bytes]:
        """Send and read one request; retries follow JSON-2's rule, or XML-RPC's when
        ``idempotent`` is given: an idle connection the server closed is replaced before use,
        and a call whose connection then fails is retried once only when it is idempotent."""
        connection, reused = self._checkout(endpoint)
        if reused and idempotent is not None and _closed_by_peer(connection):
            connection.close()
            connection, reused = self._checkout(endpoint, fresh=True)
        reusable = False
        try:
            with translate_errors(url, self.timeout):
                try:
                    response = _exchange(connection, path, body, headers)
                except (_RETRYABLE if idempotent else _STALE):  # noqa: B030 - a tuple either way
                    if not (idempotent or (idempotent is None and reused)):
                        raise
                    # JSON-2: an idle keep-alive connection the server had closed; XML-RPC's
                    # rule: a read whose connection failed. Once, on a fresh connection.
                    connection.close()
                    connection, _ = self._checkout(endpoint, fresh=True)
                    response = _exchange(connection, path, body, headers)
                raw = response.read(self.max_response_bytes + 1)
            if len(raw) > self.max_response_bytes:
                raise ResponseTooLarge(RESPONSE_TOO_LARGE.format(limit=self.max_response_bytes))
            reusable = not response.will_close
            return response.status, raw
        finally:
            if reusable:
                self._checkin(endpoint, connection)
            else:
                connection.close()

    def _checkout(self, endpoint: tuple[str, str],
                  fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to ``endpoint`` (and True), or a new one (and False)."""
        with self._lock:
            idle = self._idle.get(endpoint)
            if idle and not fresh:
                return idle.pop(), True
        scheme, netloc = endpoint
        return guarded_connection(scheme, netloc, self.timeout, self.guard), False

    def _checkin(self, endpoint: tuple[str, str], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(endpoint, [])
            if len(idle) < self._max_idle:
                idle.append(connection)
                return
        connection.close()


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed (or written to) by the server meanwhile."""
    sock = connection.sock
    if sock is None:
        return False
    poller = select.poll()  # poll, not select: no FD_SETSIZE limit on busy workers
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))  # an idle connection is readable only at EOF, a reset or garbage


def _exchange(connection: http.client.HTTPConnection, path: str, body: bytes,
              headers: dict) -> http.client.HTTPResponse:
    connection.request("POST", path, body, headers)
    return connection.getresponse()


@contextmanager
def translate_errors(url: str, timeout: float) -> Iterator[None]:
    """Turn network failures into GatewayErrors (Odoo's own errors come back as answers)."""
    try:
        yield
    except TimeoutError:
        raise OdooTimeout(TIMEOUT.format(url=url, timeout=timeout)) from None
    except (OSError, http.client.HTTPException) as error:
        raise ConnectionFailed(UNREACHABLE.format(url=url)) from error


def _as_xmlrpc(method: str, args: list, kwargs: dict, result: Any) -> Any:
    """The result as XML-RPC gives it: ``create`` of one dict answers the id, not ``[id]``."""
    values = args[0] if args else kwargs.get("vals_list")
    if method == "create" and isinstance(values, dict) and isinstance(result, list) and len(result) == 1:
        return result[0]
    return result


def _answer(url: str, status: int, raw: bytes) -> Any:
    try:
        payload = jsondepth.loads(raw, ANSWER_DEPTH) if raw else None
    except jsondepth.TooDeep:
        raise ResponseTooLarge(TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        if status == 401:
            raise AuthFailed(_DENIED) from None
        raise ConnectionFailed(_NOT_JSON2.format(url=url)) from None
    if status == 200:
        return payload
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
        raise ConnectionFailed(_NOT_JSON2.format(url=url))
    raise _from_error(status, payload)


def _from_error(status: int, payload: dict) -> GatewayError:
    """The gateway error for a JSON-2 error body; its ``debug`` traceback is left out."""
    kind = _BY_NAME.get(payload["name"]) or _BY_STATUS.get(status) or OdooError
    if kind is AuthFailed:
        return AuthFailed(_DENIED)
    message = str(payload.get("message") or "").strip() or "Odoo refused the operation."
    for pattern, wording in _XMLRPC_WORDING:
        message = pattern.sub(wording, message)
    return kind(message)


def choose_transport(xmlrpc: Any, json2: OdooTransport, credentials: Credentials) -> tuple[str, int]:
    """Transport ``auto``: JSON-2 on Odoo 19 or later when the secret is an API key, else XML-RPC.

    Returns the transport and the uid; asks Odoo's version once, at minting.
    """
    try:
        info = xmlrpc.version(credentials.url).get("server_version_info") or [0]
        major = int(info[0])
    except (GatewayError, AttributeError, TypeError, ValueError):
        major = 19  # no XML-RPC (removal is announced for Odoo 22): JSON-2 is what is left
    if major >= 19:
        try:
            return "json2", json2.authenticate(credentials)
        except AuthFailed:
            pass  # a password rather than an API key: XML-RPC still takes it
    return "xmlrpc", xmlrpc.authenticate(credentials)
