"""JSON-2, Odoo 19's external API: ``POST /json/2/{model}/{method}`` with named arguments.

The request carries ``Authorization: bearer APIKEY`` (an API key, never a password) and, when the
server has several databases, ``X-Odoo-Database``. The body is a JSON object of named arguments
(``ids``, ``context`` and each parameter by name); the answer is the bare JSON result, or an
HTTP 4xx/5xx with ``{"name", "message", "arguments", "context", "debug"}``::

    401 werkzeug.exceptions.Unauthorized    missing or unknown API key ("Invalid apikey")
    403 odoo.exceptions.AccessError         access rights, private methods
    404 odoo.exceptions.MissingError        a record does not exist
    404 werkzeug.exceptions.NotFound        unknown database, model or method
    422 odoo.exceptions.UserError           business and validation errors
    422 werkzeug.exceptions.UnprocessableEntity  arguments that do not bind to the signature
    500 builtins.ValueError (and others)    anything unexpected

Arguments are bound to the method's signature by name (``inspect.Signature.bind``, whose message
Odoo returns as is); ``ids`` and ``context`` are taken out first. A method returning records answers
their ids as a list: ``create`` with one dict answers ``[47]`` (XML-RPC answers ``47``). GET answers
404. See sandbox/facts/json2.md. Calls are logged like XML-RPC ones, as
``Call(service="json2", method="execute_kw")`` with the named body in ``kwargs``; ``named(call)``
gives any call's arguments by name, whatever its transport.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import TYPE_CHECKING, Any

from .accounting import model_class
from .faults import AccessError, UserError, traceback_text
from .models import MODELS
from .orm import COMMON_METHODS, BaseModel

if TYPE_CHECKING:
    from .rpc import Call, Dispatcher

PATH = re.compile(r"^/json/2/([^/]+)/([^/]+)$")
_MISSING = "Record does not exist or has been deleted"
_NO_HEADER = "User not authenticated, use an API Key with a Bearer Authorization header."
_RETURNS_RECORDS = ("create", "copy")  # recordsets travel as lists of ids over JSON-2


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
            return 200, _run(owner, db, uid, model, method, named)
    except Exception as exc:  # every failure becomes Odoo 19's JSON error body
        return _error(exc, method if match else "")


def named(call: Call) -> dict:
    """A call's arguments by name: JSON-2 sends them so; XML-RPC's are bound to the signature."""
    if call.service == "json2":
        return dict(call.kwargs)
    kwargs = dict(call.kwargs)
    context = {"context": kwargs.pop("context")} if "context" in kwargs else {}
    owner = model_class(call.model) if call.model in MODELS else BaseModel
    function = getattr(owner, str(call.model_method), None)
    if function is None:
        return {"args": list(call.args), **kwargs, **context}
    bound = inspect.signature(function).bind(None, *call.args, **kwargs).arguments
    return {**{name: value for name, value in bound.items() if name != "self"}, **context}


def _run(owner: Dispatcher, db: Any, uid: int, model: str, method: str, named: dict) -> Any:
    """Check the route like Odoo 19, bind the arguments by name, call, and give records as ids."""
    if model not in db.tables:
        raise _NotFound(f"the model {model!r} does not exist")
    if method.startswith("_"):
        raise AccessError(f"Private methods (such as '{model}.{method}') cannot be called remotely.")
    if method not in (*COMMON_METHODS, *MODELS[model].methods):
        raise _NotFound(f"The method '{model}.{method}' does not exist")
    params = dict(named)
    ids = params.pop("ids", [])
    context = params.pop("context", {})
    signature = inspect.signature(getattr(model_class(model), method))
    args = [ids] if list(signature.parameters)[1:2] == ["ids"] else []
    try:
        signature.bind(None, *args, **params)
    except TypeError as exc:
        raise _Unprocessable(str(exc)) from None
    result = owner._call_model(db, uid, model, method, args, {**params, "context": context})
    return [result] if method in _RETURNS_RECORDS and isinstance(result, int) else result


class _NotFound(Exception):
    """werkzeug's NotFound."""


class _Unprocessable(Exception):
    """werkzeug's UnprocessableEntity."""


class _Unauthorized(Exception):
    """werkzeug's Unauthorized, raised by Odoo's bearer authentication."""


def _who(owner: Dispatcher, headers: Any) -> tuple[Any, str, int]:
    """The database, login and uid of the bearer API key; AccessDenied without a good one."""
    scheme, _, key = (headers.get("Authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise _Unauthorized(_NO_HEADER)
    wanted = headers.get("X-Odoo-Database")
    if wanted is not None and wanted not in owner.databases:
        raise _NotFound(f"Database {wanted!r} not found")
    candidates = [owner.databases[wanted]] if wanted else list(owner.databases.values())
    for db in candidates:
        for login, keys in db.api_keys.items():
            if key in keys:
                uid = next(u for u, rec in db.tables["res.users"].items() if rec["login"] == login)
                return db, login, uid
    raise _Unauthorized("Invalid apikey")


def _error(exc: BaseException, method: str) -> tuple[int, dict]:
    message = str(exc)
    if isinstance(exc, _Unauthorized):
        status, name = 401, "werkzeug.exceptions.Unauthorized"
    elif isinstance(exc, AccessError):
        status, name = 403, "odoo.exceptions.AccessError"
    elif isinstance(exc, UserError) and message.startswith(_MISSING):
        status, name = 404, "odoo.exceptions.MissingError"
    elif isinstance(exc, UserError):
        status, name = 422, "odoo.exceptions.UserError"
    elif isinstance(exc, _NotFound):
        status, name = 404, "werkzeug.exceptions.NotFound"
    elif isinstance(exc, _Unprocessable):
        status, name = 422, "werkzeug.exceptions.UnprocessableEntity"
    else:
        status, name = 500, f"builtins.{type(exc).__name__}"
    return status, {
        "name": name, "message": message, "arguments": [message], "context": {},
        "debug": traceback_text(exc, "object", method or "call"),
    }
