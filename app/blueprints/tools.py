"""The tool catalogue and running one tool."""

from __future__ import annotations

from flask import Blueprint, current_app

from app.batch import batch_schema, run_batch
from app.schemas import CallSchema, load
from app.security import limit_key
from app.web import api_key_from_headers, json_body, note

bp = Blueprint("tools", __name__, url_prefix="/tools")
_call = CallSchema()


@bp.route("/list", methods=["GET", "POST"])
def list_tools() -> dict:
    return {"tools": current_app.extensions["gateway"].registry.catalogue()}


@bp.post("/call")
def call() -> dict:
    gateway = current_app.extensions["gateway"]
    claims = gateway.open_key(api_key_from_headers())
    note(key_id=claims.key_id)
    limit_key(claims.key_id)
    body = load(_call, json_body(), "/tools/call")
    note(tool=body["name"], model=body["arguments"].get("model"))
    return {"result": gateway.call(claims, body["name"], body["arguments"])}


@bp.post("/batch")
def batch() -> dict:
    gateway = current_app.extensions["gateway"]
    claims = gateway.open_key(api_key_from_headers())
    note(key_id=claims.key_id)
    body = load(batch_schema(gateway.settings.max_batch), json_body(), "/tools/batch")
    answer = run_batch(gateway, claims, body["calls"], body["stop_on_error"])
    note(tool="batch", calls=answer["count"], failed=answer["failed"])
    return answer
