"""The tool catalogue and running one tool."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, request

from app.api import openapi_examples as examples
from app.api.idempotency import once
from app.api.openapi import documented
from app.api.responses import BatchResultSchema, ToolListSchema
from app.api.security import limit_key
from app.api.web import api_key_from_headers, json_body, note
from app.base.errors import GatewayError
from app.core.automations import idempotency as idem
from app.core.batch import BatchSchema, batch_schema, run_batch
from app.core.schemas import load, load_call

bp = Blueprint("tools", __name__, url_prefix="/tools")


@bp.route("/list", methods=["GET", "POST"])
@documented("The tool catalogue, with each tool's JSON Schema", ok=ToolListSchema)
def list_tools() -> dict:
    return {"tools": current_app.extensions["gateway"].registry.catalogue()}


@bp.post("/call")
@documented("Run one tool", body="ToolCall", ok="ToolAnswer", examples=examples.tool_calls,
            errors=(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504), secured=True,
            idempotent=True,
            description="Pick an example per tool in the Examples list; each runs against the demo data.")
def call() -> dict:
    gateway = current_app.extensions["gateway"]
    claims = gateway.open_key(api_key_from_headers())
    note(key_id=claims.key_id, odoo_host=urlsplit(claims.credentials.url).netloc)
    limit_key(claims.key_id)
    body = load_call(json_body())
    note(tool=body["name"], model=body["arguments"].get("model"))

    def work() -> dict:
        return {"result": gateway.call(claims, body["name"], body["arguments"])}

    if _reads_only(gateway, body["name"]):
        if request.headers.get(idem.HEADER) is not None:
            idem.check_key(request.headers[idem.HEADER])  # as documented, whatever the tool
        return work()  # a read is idempotent already: nothing to keep
    return once(claims.key_id, work)


@bp.post("/batch")
@documented("Run several tool calls in order with one key, each answered in place", body=BatchSchema,
            ok=BatchResultSchema, errors=(400, 401, 413, 429), secured=True, idempotent=True,
            examples=examples.batch)
def batch() -> dict:
    gateway = current_app.extensions["gateway"]
    claims = gateway.open_key(api_key_from_headers())
    note(key_id=claims.key_id, odoo_host=urlsplit(claims.credentials.url).netloc)
    body = load(batch_schema(gateway.settings.max_batch), json_body(), "/tools/batch")
    limit_key(claims.key_id, cost=len(body["calls"]))  # a batch spends one unit per call

    def work() -> dict:
        answer = run_batch(gateway, claims, body["calls"], body["stop_on_error"])
        note(tool="batch", calls=answer["count"], failed=answer["failed"])
        return answer

    return once(claims.key_id, work)


def _reads_only(gateway, name: str) -> bool:
    try:
        return gateway.registry.get(name).letter == "R"
    except GatewayError:
        return False
