"""JSON-2, Odoo 19's external API: ``POST /json/2/{model}/{method}`` with named arguments.

The request carries ``Authorization: bearer APIKEY`` (an API key, never a password) and, when the
server has several databases, ``X-Odoo-Database``. The body is a JSON object of named arguments
(``ids``, ``context`` and each parameter by name); the answer is the bare JSON result, or an
HTTP 4xx/5xx with ``{"name", "message", "arguments", "context", "debug"}``::

    401 odoo.exceptions.AccessDenied        missing or unknown API key
    403 odoo.exceptions.AccessError         access rights, private methods
    404 odoo.exceptions.MissingError        a record does not exist
    404 werkzeug.exceptions.NotFound        unknown database, model or method
    422 odoo.exceptions.UserError           business and validation errors
    422 werkzeug.exceptions.UnprocessableEntity  arguments that do not fit the method
    500 builtins.ValueError (and others)    anything unexpected

Calls are logged like XML-RPC ones, as ``Call(service="json2", method="execute_kw")`` with the
named body in ``kwargs``; ``named(call)`` gives any call's arguments by name, whatever its transport.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import TYPE_CHECKING, Any

from .faults import AccessDenied, AccessError, UserError, traceback_text
from .orm import BaseModel

if TYPE_CHECKING:
    from .rpc import Call, Dispatcher

PATH = re.compile(r"^/json/2/([^/]+)/([^/]+)$")
_MISSING = "Record does not exist or has been deleted"


def serves(owner: Dispatcher, path: str) -> bool:
    """Whether this path is a JSON-2 route of the double (only when it plays Odoo 19 or later)."""
    return owner.major_version >= 19 and path.startswith("/json/2/")


def answer(owner: Dispatcher, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
    """The HTTP status and JSON payload of one JSON-2 request."""
    from .rpc import Call

    match = PATH.match(path.split("?")[0])
    try:
        if match is None:
            raise _NotFound(f"No JSON-2 route {path}")
        model, method = match.groups()
        with owner.lock:
            db, login, uid = _who(owner, headers)
            try:
                named = json.loads(body or b"{}")
            except ValueError:
                named = None
            owner._record(Call("json2", "execute_kw", db.name, login, uid, model, method,
                               kwargs=dict(named) if isinstance(named, dict) else {},
                               password_ok=True))
            if not isinstance(named, dict):
                raise _Unprocessable("The body must be a JSON object of named arguments.")
            return 200, owner._call_model(db, uid, model, method, [], named)
    except Exception as exc:  # every failure becomes Odoo 19's JSON error body
        return _error(exc, method if match else "")


def named(call: Call) -> dict:
    """A call's arguments by name: JSON-2 sends them so; XML-RPC's are bound to the signature."""
    if call.service == "json2":
        return dict(call.kwargs)
    kwargs = dict(call.kwargs)
    context = {"context": kwargs.pop("context")} if "context" in kwargs else {}
    function = getattr(BaseModel, str(call.model_method), None)
    if function is None:
        return {"args": list(call.args), **kwargs, **context}
    bound = inspect.signature(function).bind(None, *call.args, **kwargs).arguments
    return {**{name: value for name, value in bound.items() if name != "self"}, **context}


class _NotFound(Exception):
    """werkzeug's NotFound."""


class _Unprocessable(Exception):
    """werkzeug's UnprocessableEntity."""


def _who(owner: Dispatcher, headers: Any) -> tuple[Any, str, int]:
    """The database, login and uid of the bearer API key; AccessDenied without a good one."""
    scheme, _, key = (headers.get("Authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise AccessDenied()
    wanted = headers.get("X-Odoo-Database")
    if wanted is not None and wanted not in owner.databases:
        raise _NotFound(f"Database {wanted!r} not found")
    candidates = [owner.databases[wanted]] if wanted else list(owner.databases.values())
    for db in candidates:
        for login, keys in db.api_keys.items():
            if key in keys:
                uid = next(u for u, rec in db.tables["res.users"].items() if rec["login"] == login)
                return db, login, uid
    raise AccessDenied()


def _error(exc: BaseException, method: str) -> tuple[int, dict]:
    message = str(exc)
    if isinstance(exc, AccessDenied):
        status, name = 401, "odoo.exceptions.AccessDenied"
    elif isinstance(exc, AccessError):
        status, name = 403, "odoo.exceptions.AccessError"
    elif isinstance(exc, UserError) and message.startswith(_MISSING):
        status, name = 404, "odoo.exceptions.MissingError"
    elif isinstance(exc, UserError) and message.startswith("Object "):
        status, name = 404, "werkzeug.exceptions.NotFound"
    elif isinstance(exc, UserError):
        status, name = 422, "odoo.exceptions.UserError"
    elif isinstance(exc, (_NotFound, AttributeError)):
        status, name = 404, "werkzeug.exceptions.NotFound"
    elif isinstance(exc, (_Unprocessable, TypeError)):
        status, name = 422, "werkzeug.exceptions.UnprocessableEntity"
    else:
        status, name = 500, f"builtins.{type(exc).__name__}"
    return status, {
        "name": name, "message": message, "arguments": [message], "context": {},
        "debug": traceback_text(exc, "object", method or "call"),
    }
