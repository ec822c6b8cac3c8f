"""Odoo's ``POST /jsonrpc``: the XML-RPC services (common, object) in a JSON-RPC 2.0 envelope.

Errors are answered with HTTP 200 and ``error.data`` as Odoo's ``serialize_exception`` builds it
(``name``, ``message``, ``arguments``, ``context``, ``debug``); see facts/jsonrpc.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .faults import AccessDenied, AccessError, DatabaseMissing, UserError, traceback_text

if TYPE_CHECKING:
    from .rpc import Dispatcher

PATH = "/jsonrpc"
_MISSING = "Record does not exist or has been deleted"


def answer(owner: Dispatcher, body: bytes) -> dict:
    """The JSON-RPC answer to one request body."""
    try:
        request = json.loads(body)
    except ValueError:
        request = None
    request_id = request.get("id") if isinstance(request, dict) else None
    params = request.get("params") if isinstance(request, dict) else None
    if not isinstance(params, dict):
        return _error(request_id, TypeError("jsonrpc() missing 3 required positional arguments: "
                                            "'service', 'method', and 'args'"), "common", "call")
    service, method, args = params.get("service"), params.get("method"), params.get("args") or []
    try:
        if service not in ("common", "object") or not isinstance(args, list):
            raise ValueError(f"Unknown service {service!r}" if service not in ("common", "object")
                             else "args must be a list")
        result = owner.run(service, str(method), tuple(args))
    except Exception as exc:  # every failure becomes Odoo's JSON-RPC error
        model_method = args[4] if len(args) > 4 and isinstance(args[4], str) else str(method)
        return _error(request_id, exc, str(service), model_method)
    answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if result is not None:  # Odoo's _response leaves out a None result
        answer["result"] = result
    return answer


def _name(exc: BaseException) -> str:
    """``module.Class`` of the exception Odoo would raise."""
    if isinstance(exc, AccessDenied):
        return "odoo.exceptions.AccessDenied"
    if isinstance(exc, AccessError):
        return "odoo.exceptions.AccessError"
    if isinstance(exc, UserError):
        missing = str(exc).startswith(_MISSING)
        return "odoo.exceptions.MissingError" if missing else "odoo.exceptions.UserError"
    if isinstance(exc, DatabaseMissing):
        return "psycopg2.OperationalError"
    return f"builtins.{type(exc).__name__}"


def _error(request_id: Any, exc: BaseException, service: str, method: str) -> dict:
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return {"jsonrpc": "2.0", "id": request_id, "error": {
        "code": 200, "message": "Odoo Server Error",
        "data": {"name": _name(exc), "message": message, "arguments": [message], "context": {},
                 "debug": traceback_text(exc, service, method)}}}
