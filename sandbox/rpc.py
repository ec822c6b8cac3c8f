"""RPC semantics of Odoo 18: the databases, the call log, and the common and object services."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import clock
from .accounting import model_class
from .faults import AccessDenied, AccessError, DatabaseMissing, UserError, to_fault
from .models import MODELS
from .orm import COMMON_METHODS, NEEDS, access_error
from .store import Database

# Odoo 19 words some errors differently from Odoo 18, whatever the transport.
_ODOO19_TEXTS = ((re.compile(r"^(Invalid field \S+) in leaf "), r"\1 in condition "),
                 (re.compile(r"^(Invalid field '[^']*') on model ('[^']*')$"), r"\1 on \2"))
_READS = ("search", "search_read", "read", "search_count", "fields_get", "default_get",
          "name_search", "read_group", "check_object_reference", "context_get")
FAILURES = (None, "refuse", "hang", "non_xml", "reset", "http_500")
VERSION = {
    "server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""],
    "server_serie": "18.0", "protocol_version": 1,
}


@dataclass(frozen=True)
class Call:
    """One RPC the double received."""

    service: str
    method: str
    db: Any = None
    login: Any = None
    uid: Any = None
    model: Any = None
    model_method: Any = None
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    password_ok: bool = False


class Dispatcher:
    """Data, call log and RPC semantics; the transport lives in sandbox.server."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.databases: dict[str, Database] = {}
        self._calls: list[Call] = []
        self.version = "18.0"  # "19.0" or later also serves JSON-2 on /json/2/
        # Seconds a writing call waits between its transaction's start (its write_date) and its
        # commit, as a slow Odoo transaction does: readers see its records late, with an old stamp.
        self.commit_delay = 0.0
        self.reseed()

    def reseed(self) -> None:
        """Replace every database by a fresh seeded copy and forget the calls."""
        with self.lock:
            self.databases = {name: Database(name) for name in ("demo", "other")}
            self.web_sessions: dict[str, tuple[str, int]] = {}  # session_id -> (db, uid)
            self._calls = []

    @property
    def major_version(self) -> int:
        """The major version the double plays, e.g. 18."""
        return int(str(self.version).split(".")[0])

    def _record(self, call: Call) -> None:
        """Append a call to the log."""
        with self.lock:
            self._calls.append(call)

    def run(self, service: str, method: str, params: tuple) -> Any:
        """Run one RPC of either transport (XML-RPC, /jsonrpc): its result, or Odoo's exception."""
        if service == "common":
            return self._common(method, list(params))
        return self._object(method, list(params))

    def dispatch(self, service: str, method: str, params: tuple) -> Any:
        """Run one XML-RPC and return its result, or raise the Fault Odoo would send."""
        try:
            result = self.run(service, method, params)
        except Exception as exc:
            model_method = params[4] if len(params) > 4 and isinstance(params[4], str) else method
            raise to_fault(exc, service, model_method) from exc
        if _holds_none(result):  # Odoo refuses to marshal None, however deep (the work is committed)
            raise to_fault(TypeError("cannot marshal None unless allow_none is enabled"), service)
        return result

    def _database(self, name: Any) -> Database:
        """Return a database or fail like PostgreSQL does."""
        db = self.databases.get(name) if isinstance(name, str) else None
        if db is None:
            raise DatabaseMissing(str(name))
        return db

    def _common(self, method: str, params: list) -> Any:
        """Serve /xmlrpc/2/common."""
        db_name = params[0] if params else None
        login = params[1] if len(params) > 1 else None
        handlers = {"version": self._version, "authenticate": self._authenticate,
                    "login": self._login}
        handler = handlers.get(method)
        if handler is None:
            self._record(Call("common", method, db_name, login, args=params))
            raise KeyError(f"exp_{method}")
        return handler(params)

    def _version(self, *params: Any) -> dict:
        """Answer version() like Odoo 18."""
        self._record(Call("common", "version", password_ok=True))
        major, _, minor = str(self.version).partition(".")
        return {**VERSION, "server_version": self.version, "server_serie": self.version,
                "server_version_info": [int(major), int(minor or 0), 0, "final", 0, ""]}

    def _authenticate(self, params: list) -> int | bool:
        """Answer authenticate(db, login, password, user_agent_env)."""
        return self._check_login("authenticate", params, 4)

    def _login(self, params: list) -> int | bool:
        """Answer login(db, login, password)."""
        return self._check_login("login", params, 3)

    def _check_login(self, method: str, params: list, arity: int) -> int | bool:
        """Check credentials for authenticate/login and log the call."""
        padded = [*params, None, None, None][:3]
        with self.lock:
            db = self.databases.get(padded[0]) if isinstance(padded[0], str) else None
            uid = db.authenticate(padded[1], padded[2]) if db else False
            self._record(Call("common", method, padded[0], padded[1], args=params,
                              password_ok=bool(uid)))
            if len(params) != arity:
                raise TypeError(f"exp_{method}() takes {arity} positional arguments "
                                f"but {len(params)} were given")
            if db is None:
                raise DatabaseMissing(str(padded[0]))
            return uid

    def _object(self, method: str, params: list) -> Any:
        """Serve /xmlrpc/2/object: execute_kw(db, uid, password, model, method, args, kw)."""
        if method != "execute_kw":
            self._record(Call("object", method, args=params))
            raise KeyError(f"Method not supported {method}")
        if not 6 <= len(params) <= 7:
            raise TypeError(f"execute_kw() takes from 6 to 7 positional arguments "
                            f"but {len(params) + 1} were given")
        db_name, uid, password, model, name, args, *rest = params
        kwargs = rest[0] if rest and rest[0] else {}
        started = clock.instant()  # the transaction starts before it waits for the others
        if self.commit_delay and name not in _READS:
            time.sleep(self.commit_delay)
        with self.lock, clock.transaction(started):
            db = self.databases.get(db_name) if isinstance(db_name, str) else None
            ok = bool(db) and db.password_ok(db.login_of(uid), password)
            self._record(Call("object", method, db_name, uid=uid, model=model,
                              model_method=name, args=list(args) if isinstance(args, list)
                              else args, kwargs=dict(kwargs) if isinstance(kwargs, dict)
                              else kwargs, password_ok=ok))
            if db is None:
                raise DatabaseMissing(str(db_name))
            if not ok:
                raise AccessDenied()
            return self._call_model(db, uid, model, name, args, kwargs)

    def _call_model(self, db: Database, uid: int, model: Any, name: Any, args: Any,
                    kwargs: Any) -> Any:
        """Check the model and method, then call it as Python would."""
        if isinstance(name, str) and name.startswith("_"):
            raise AccessError(f"Private methods (such as {name}) cannot be called remotely.")
        if not isinstance(model, str) or model not in db.tables:
            raise UserError(f"Object {model} doesn't exist")
        spec_methods = (*COMMON_METHODS, *MODELS[model].methods)
        if name not in spec_methods:
            raise AttributeError(f"The method '{name}' does not exist on the model '{model}'")
        letter = NEEDS.get(name)
        if letter and not db.allowed(uid, model, letter):
            raise access_error(db, uid, model, letter)
        kwargs = dict(kwargs) if isinstance(kwargs, dict) else {}
        if name == "default_get" and "fields_list" in kwargs and self.major_version < 19:
            kwargs["fields"] = kwargs.pop("fields_list")  # Odoo 18's name of the parameter
        with clock.transaction():  # JSON-2 calls arrive here directly
            return self._run_method(db, uid, model, name, args, kwargs)

    def _run_method(self, db: Database, uid: int, model: str, name: str, args: Any,
                    kwargs: dict) -> Any:
        """Call the method on a model bound to the user and context."""
        context = kwargs.pop("context", None)
        recs = model_class(model)(db, model, uid, context if isinstance(context, dict) else {})
        recs.major_version = self.major_version  # type: ignore[attr-defined]
        function = getattr(recs, name)
        if not isinstance(args, (list, tuple)):
            raise TypeError(f"{type(recs).__name__}.{name}() argument after * must be an "
                            f"iterable, not {type(args).__name__}")
        try:
            result = function(*args, **kwargs)  # a TypeError before the body runs has Python's message
        except ValueError as exc:
            if self.major_version < 19:
                raise
            raise ValueError(_odoo19_text(str(exc))) from exc
        if name in _RETURNS_RECORDS and self.major_version >= 19:
            return [result]  # Odoo 19 dropped @api.returns: a returned record travels as its ids
        return result


# Methods whose one-record answer Odoo 18 sends as an id and Odoo 19 as a list of ids
# (facts: sandbox/facts/automations-c.md).
_RETURNS_RECORDS = frozenset({"message_post"})


def _holds_none(value: Any) -> bool:
    """Whether XML-RPC's marshaller would meet a None in ``value`` (a loop: answers may nest deep)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if item is None:
            return True
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
    return False


def _odoo19_text(message: str) -> str:
    """An Odoo 18 error message as Odoo 19 words it."""
    for pattern, replacement in _ODOO19_TEXTS:
        message = pattern.sub(replacement, message)
    return message

