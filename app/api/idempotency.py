"""The Idempotency-Key header on writing routes: the stored answer again, or run the request once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from app.base.errors import GatewayError, InvalidRequest
from app.core.automations import idempotency as idem


def once(key_id: str, work: Callable[[], dict], body: bytes | None = None) -> Response | dict:
    """``work()``'s answer, run at most once per Idempotency-Key (no header: just run it).

    ``body`` stands for the request body when its bytes vary between retries of the same request
    (multipart boundaries are random): the same content must give the same bytes.
    """
    value = request.headers.get(idem.HEADER)
    if value is None:
        return work()
    gateway = current_app.extensions["gateway"]

    def run() -> tuple[int, bytes]:
        try:
            return 200, json.dumps(work()).encode()
        except GatewayError as error:
            if not idem.is_final(error.http_status):
                raise  # rendered (and logged) by the usual handler; the key stays free
            return error.http_status, json.dumps(error.payload(g.get("request_id"))).encode()

    status, body, replayed = idem.run_once(
        gateway.idempotency, _policy(gateway.settings), idem.entry_key(key_id, idem.check_key(value)),
        idem.fingerprint(request.path, request.get_data(cache=True) if body is None else body), run)
    response = Response(body, status=status, mimetype="application/json")
    if replayed:
        response.headers[idem.REPLAYED_HEADER] = "true"
    return response


def mcp_once(gateway, key_id: str, value: Any, call: dict, run: Callable[[], tuple[int, dict]]) -> dict:
    """An MCP tools/call result, run at most once per ``_meta.idempotencyKey``."""
    if not isinstance(value, str):
        raise InvalidRequest("_meta.idempotencyKey must be a string, e.g. a UUID.")

    def encoded() -> tuple[int, bytes]:
        status, result = run()
        return status, json.dumps(result).encode()

    _, body, replayed = idem.run_once(
        gateway.idempotency, _policy(gateway.settings), idem.entry_key(key_id, idem.check_key(value)),
        idem.fingerprint("mcp:tools/call", json.dumps(call).encode()), encoded)
    result = json.loads(body)
    if replayed:
        result["_meta"] = {"idempotentReplayed": True}
    return result


def _policy(settings) -> idem.Policy:
    # A batch of MAX_BATCH calls, each bounded by ODOO_TIMEOUT_SECONDS, is the longest request: a
    # duplicate must never take the key over while the first may still be running.
    longest = settings.odoo_timeout_seconds * (settings.max_batch + 1)
    return idem.Policy(settings.idempotency_ttl_seconds, settings.idempotency_wait_seconds,
                       settings.idempotency_max_answer_bytes, max(settings.idempotency_wait_seconds, longest))
