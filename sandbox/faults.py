"""Odoo's exceptions as XML-RPC faults.

    OdooError            a fault whose faultString is the plain message
    +-- UserError        code 2 (UserError, ValidationError, MissingError, unknown model)
    +-- AccessDenied     code 3, always "Access Denied"
    +-- AccessError      code 4 (access rights, private methods)

Anything else (ValueError, TypeError, ...) becomes code 1 with a server-like traceback.
"""

from __future__ import annotations

import xmlrpc.client

ODOO = "/usr/lib/python3/dist-packages/odoo"


class OdooError(Exception):
    """An Odoo exception that reaches the client as a fault with its plain message."""

    code = 1


class UserError(OdooError):
    """A business error: code 2."""

    code = 2


class AccessDenied(OdooError):
    """Wrong credentials on execute_kw: code 3."""

    code = 3

    def __init__(self) -> None:
        super().__init__("Access Denied")


class AccessError(OdooError):
    """Access rights or a private method: code 4."""

    code = 4


class DatabaseMissing(Exception):
    """psycopg2's error when the database does not exist; shown as a traceback."""

    def __init__(self, db: str) -> None:
        super().__init__(
            'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
            f'FATAL:  database "{db}" does not exist'
        )


_RPC_FRAMES = [
    ("http.py", 2396, "__call__", "response = request._serve_db()"),
    ("http.py", 1952, "_serve_db", "return service_model.retrying(self._serve_ir_http, self.env)"),
    ("service/model.py", 137, "retrying", "result = func()"),
    ("http.py", 1980, "_serve_ir_http", "response = self.dispatcher.dispatch(rule.endpoint, args)"),
    ("http.py", 2184, "dispatch", "result = self.request.registry['ir.http']._dispatch(endpoint)"),
    ("addons/base/models/ir_http.py", 333, "_dispatch", "result = endpoint(**request.params)"),
    ("http.py", 727, "route_wrapper", "result = endpoint(self, *args, **params_ok)"),
    ("addons/base/controllers/rpc.py", 157, "xmlrpc_2", "response = self._xmlrpc(service)"),
    ("addons/base/controllers/rpc.py", 134, "_xmlrpc",
     "result = dispatch_rpc(service, method, params)"),
    ("http.py", 387, "dispatch_rpc", "return dispatch(method, params)"),
]
_OBJECT_FRAMES = [
    ("service/model.py", 39, "dispatch", "res = execute_kw(db, uid, *params[3:])"),
    ("service/model.py", 61, "execute_kw",
     "return execute(db, uid, obj, method, *args, **kw or {})"),
    ("service/model.py", 68, "execute", "res = execute_cr(cr, uid, obj, method, *args, **kw)"),
    ("service/model.py", 52, "execute_cr",
     "result = retrying(partial(odoo.api.call_kw, recs, method, args, kw), env)"),
    ("service/model.py", 137, "retrying", "result = func()"),
    ("api.py", 517, "call_kw", "result = getattr(recs, name)(*args, **kwargs)"),
]
_COMMON_FRAMES = [
    ("service/common.py", 64, "dispatch", "return g[exp_method_name](*params)"),
    ("service/common.py", 30, "exp_authenticate",
     "res_users = odoo.registry(db)['res.users']"),
    ("modules/registry.py", 94, "__new__", "return cls.new(db_name)"),
    ("modules/registry.py", 116, "new", "registry.init(db_name)"),
    ("modules/registry.py", 183, "init", "with closing(self.cursor()) as cr:"),
    ("sql_db.py", 352, "__init__", "self._cnx = pool.borrow(dsn)"),
    ("sql_db.py", 690, "borrow", "result = psycopg2.connect("),
]
# Where each kind of error is raised inside Odoo, so the last frame reads plausibly.
_ORIGINS = {
    "domain": ("osv/expression.py", 821, "parse", "raise ValueError(f\"Invalid leaf {leaf}\")"),
    "field": ("models.py", 3115, "_check_field", "raise ValueError(f\"Invalid field {name!r}\")"),
    "method": ("api.py", 479, "call_kw", "raise AttributeError(msg)"),
    "value": ("fields.py", 2712, "convert_to_cache", "raise ValueError(msg)"),
}


def _frame(path: str, line: int, func: str, code: str) -> str:
    """Format one traceback frame like Python does."""
    full = path if path.startswith("/") else f"{ODOO}/{path}"
    return f'  File "{full}", line {line}, in {func}\n    {code}\n'


def _origin(exc: BaseException) -> str:
    """Guess where inside Odoo this error would have been raised."""
    text = str(exc)
    if isinstance(exc, AttributeError):
        return "method"
    if "leaf" in text or "domain" in text:
        return "domain"
    return "field" if text.startswith("Invalid field") else "value"


def traceback_text(exc: BaseException, service: str = "object", method: str = "search") -> str:
    """Return a 2-4 kB server traceback ending with the exception's own line."""
    frames = list(_RPC_FRAMES)
    if service == "common":
        frames += _COMMON_FRAMES
        frames.append(("/usr/lib/python3/dist-packages/psycopg2/__init__.py", 122, "connect",
                       "conn = _connect(dsn, connection_factory=connection_factory, **kwasync)"))
    else:
        frames += _OBJECT_FRAMES
        frames.append(("models.py", 5920, method, f"return self._{method}(*args, **kwargs)"))
        frames.append(_ORIGINS[_origin(exc)])
    missing = isinstance(exc, DatabaseMissing)
    kind = "psycopg2.OperationalError" if missing else type(exc).__name__
    body = "".join(_frame(*frame) for frame in frames)
    return f"Traceback (most recent call last):\n{body}{kind}: {exc}"


def to_fault(exc: BaseException, service: str = "object",
             method: str = "search") -> xmlrpc.client.Fault:
    """Translate any exception into the fault Odoo would send."""
    if isinstance(exc, xmlrpc.client.Fault):
        return exc
    if isinstance(exc, OdooError):
        return xmlrpc.client.Fault(exc.code, str(exc))
    return xmlrpc.client.Fault(1, traceback_text(exc, service, method))

