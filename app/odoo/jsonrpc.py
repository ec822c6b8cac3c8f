"""Talking to Odoo 14-21 over ``POST {url}/jsonrpc``: XML-RPC's services in JSON.

The same calls as ``OdooConnector`` (``common.authenticate``, ``common.version``,
``object.execute_kw`` with the same arguments, password or API key), so it inherits its
``authenticate``, ``execute_kw`` and ``version``; only the wire differs. JSON is encoded and
decoded many times faster than XML on both sides, which is what big reads gain. Timeouts,
response cap, URL guard and breaker are those of the keep-alive HTTP client ``Json2Connector``
uses; retries follow XML-RPC's rule (see ``Json2Connector._exchange_once``). Errors map as the
XML-RPC faults do (sandbox/facts/jsonrpc.md)::

    data.name odoo.exceptions.AccessDenied  -> AuthFailed (401)
    data.name odoo.exceptions.AccessError   -> OdooAccessError (403)
    data.name odoo.exceptions.MissingError  -> NotFound (404)
    any other error                         -> OdooError (422), data.message
    an answer that is not JSON-RPC          -> ConnectionFailed (502)

``data.debug`` (Odoo's traceback) is never read.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from app.base import jsondepth
from app.base.errors import (
    AuthFailed,
    ConnectionFailed,
    GatewayError,
    NotFound,
    OdooAccessError,
    OdooError,
    ResponseTooLarge,
)
from app.odoo.breaker import CircuitBreaker
from app.odoo.depth import ANSWER_DEPTH, TOO_DEEP
from app.odoo.json2 import Json2Connector
from app.odoo.xmlrpc import DEFAULT_MAX_RESPONSE_BYTES, OdooConnector

_NOT_JSONRPC = (
    "Odoo at {url} did not answer with JSON-RPC: check that the URL points to an Odoo server "
    "(not a login page or a proxy error page)."
)
_DENIED = (
    "Odoo rejected the key's credentials (Access Denied): the password or API key was probably "
    "changed; mint a new key with POST /auth/generate."
)
_BY_NAME: dict[str, type[GatewayError]] = {
    "odoo.exceptions.AccessError": OdooAccessError,
    "odoo.exceptions.MissingError": NotFound,
}
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json",
            "User-Agent": "odoo-gateway"}


class JsonRpcConnector(OdooConnector):
    """Makes JSON-RPC calls to Odoo servers over keep-alive connections; safe to share between threads."""

    def __init__(self, timeout: float, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 guard: Callable[[socket.socket], None] | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        super().__init__(timeout, max_response_bytes=max_response_bytes, guard=guard, breaker=breaker)
        self._http = Json2Connector(timeout, max_response_bytes=max_response_bytes, guard=guard,
                                    breaker=self.breaker)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def _call(self, url: str, service: str, method: str, *args: Any, idempotent: bool) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                           "params": {"service": service, "method": method, "args": args}})
        parts = urlsplit(url)
        status, raw = self._http._post(url, parts.scheme, parts.netloc,
                                       f"{parts.path.rstrip('/')}/jsonrpc", body.encode(), _HEADERS,
                                       idempotent=idempotent)
        return _answer(url, status, raw)


def _answer(url: str, status: int, raw: bytes) -> Any:
    try:
        payload = jsondepth.loads(raw, ANSWER_DEPTH + 1)  # + 1: the JSON-RPC envelope
    except jsondepth.TooDeep:
        raise ResponseTooLarge(TOO_DEEP) from None  # Odoo answered: not a breaker failure
    except (ValueError, UnicodeDecodeError):
        payload = None
    if status != 200 or not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0":
        raise ConnectionFailed(_NOT_JSONRPC.format(url=url))
    error = payload.get("error")
    if error is None:
        return payload.get("result")  # Odoo leaves ``result`` out when it is None
    data = error.get("data") if isinstance(error, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConnectionFailed(_NOT_JSONRPC.format(url=url))  # a 404 route error, a proxy's JSON
    if data["name"] == "odoo.exceptions.AccessDenied":
        raise AuthFailed(_DENIED)
    message = str(data.get("message") or "").strip() or "Odoo refused the operation."
    raise _BY_NAME.get(data["name"], OdooError)(message)
