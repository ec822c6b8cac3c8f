"""Odoo's web routes the gateway uses for reports: /web/session/authenticate and /report/pdf/.

A web session needs the real password (an API key is refused with AccessDenied in a JSON-RPC error
and no cookie); /report/pdf/<report>/<ids> without the cookie redirects (303) to /web/login.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .mailmodels import pdf_document

if TYPE_CHECKING:
    from .rpc import Dispatcher

_UNKNOWN = b"<!DOCTYPE html><title>Odoo Server Error</title><h1>Internal Server Error</h1>"
_MISSING = b"<!DOCTYPE html><title>Odoo</title><p>The record does not exist or has been deleted.</p>"
_DENIED = {"code": 200, "message": "Odoo Server Error", "data": {
    "name": "odoo.exceptions.AccessDenied", "message": "Access Denied", "arguments": ["Access Denied"]}}
Answer = tuple[int, str, bytes, dict]


def serves(path: str) -> bool:
    """Whether the path is one of the web routes the double plays."""
    return path.split("?")[0] == "/web/session/authenticate" or path.startswith("/report/pdf/")


def authenticate(owner: Dispatcher, body: bytes) -> Answer:
    """JSON-RPC login with a password; a session cookie on success."""
    from .rpc import Call

    try:
        params = json.loads(body or b"{}").get("params") or {}
    except (ValueError, AttributeError):
        params = {}
    with owner.lock:
        db = owner.databases.get(params.get("db")) if isinstance(params.get("db"), str) else None
        login, password = params.get("login"), params.get("password")
        uid = db.authenticate(login, password) if db else False
        if uid and password in db.api_keys.get(login, []):  # web sessions want the real password
            uid = False
        owner._record(Call("web", "authenticate", params.get("db"), login, password_ok=bool(uid)))
        if not uid:
            return _json({"jsonrpc": "2.0", "id": None, "error": _DENIED}, {})
        sid = secrets.token_hex(20)
        owner.web_sessions[sid] = (db.name, uid)
    cookie = f"session_id={sid}; Expires=Fri, 01-Dec-2034 00:00:00 GMT; Max-Age=604800; HttpOnly; Path=/"
    result = {"uid": uid, "db": db.name, "username": login, "is_admin": uid == 2}
    return _json({"jsonrpc": "2.0", "id": None, "result": result}, {"Set-Cookie": cookie})


def report(owner: Dispatcher, path: str, headers: Any) -> Answer:
    """The PDF of a report for record ids, for the session's user."""
    from .rpc import Call

    pairs = (p.partition("=") for p in (headers.get("Cookie") or "").split(";"))
    cookie = {k.strip(): v for k, _, v in pairs}
    session = owner.web_sessions.get(cookie.get("session_id", ""))
    if session is None:
        return 303, "text/html", b"", {"Location": f"/web/login?redirect={quote(path, safe='')}"}
    name, _, ids_text = path.split("?")[0][len("/report/pdf/"):].partition("/")
    with owner.lock:
        db = owner.databases[session[0]]
        model = next((r["model"] for r in db.tables["ir.actions.report"].values()
                      if r["report_name"] == name), None)
        owner._record(Call("web", "report", db.name, uid=session[1], model=model, model_method=name))
        try:
            ids = [int(i) for i in ids_text.split(",")]
        except ValueError:
            ids = []
        if model is None or not ids:  # Odoo: an unknown report is a 500 page
            return 500, "text/html", _UNKNOWN, {}
        records = [db.tables[model].get(i) for i in ids]
        if None in records or not db.allowed(session[1], model, "r"):
            # Odoo 18 turns the MissingError / AccessError (UserErrors) into a 400 page, 19 a 500
            return (400 if owner.major_version < 19 else 500), "text/html", _MISSING, {}
        title = " / ".join(str(r["name"]) for r in records)
    return 200, "application/pdf", pdf_document(f"{name}: {title}"), {}


def _json(payload: dict, headers: dict) -> Answer:
    return 200, "application/json", json.dumps(payload).encode(), headers
