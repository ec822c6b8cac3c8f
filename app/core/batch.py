"""Batches: several tool calls with one key, run in order, each answered in place.

Each call is checked (arguments, then scope) and run exactly like a single ``/tools/call``; Odoo
runs each one in its own transaction, so a failed call does not undo the calls before it.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from marshmallow import Schema, validate
from marshmallow import fields as ma

from app.base.errors import GatewayError

log = logging.getLogger("odoo_gateway")


class StrictBoolean(ma.Boolean):
    """Only JSON true or false, as the OpenAPI document says (marshmallow also takes 0, 1, "yes")."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class BatchCallSchema(Schema):
    name = ma.String(required=True, validate=validate.Length(min=1, max=512))
    arguments = ma.Dict(keys=ma.String(), load_default=dict)


class BatchSchema(Schema):
    calls = ma.List(ma.Nested(BatchCallSchema), required=True)
    stop_on_error = StrictBoolean(load_default=False)

    def __init__(self, max_batch: int = 50, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["calls"].validators = [validate.Length(
            min=1, max=max_batch, error=f"Give 1 to {max_batch} calls (MAX_BATCH).")]


@lru_cache(maxsize=8)
def batch_schema(max_batch: int) -> BatchSchema:
    """The envelope schema for a MAX_BATCH, built once."""
    return BatchSchema(max_batch)


def run_batch(gateway: Any, claims: Any, calls: list[dict], stop_on_error: bool) -> dict:
    """Run ``calls`` in order with one key's claims; ``stopped`` tells whether calls were skipped."""
    results: list[dict] = []
    for index, call in enumerate(calls):
        try:
            result = gateway.call(claims, call["name"], call["arguments"])
            results.append({"index": index, "ok": True, "result": result})
        except Exception as error:  # answered in place; the batch goes on (or stops) either way
            results.append({"index": index, "ok": False, **_failure(error)})
            if stop_on_error:
                break
    failed = sum(not r["ok"] for r in results)
    return {
        "results": results, "count": len(results), "succeeded": len(results) - failed,
        "failed": failed, "stopped": len(results) < len(calls),
    }


def _failure(error: Exception) -> dict:
    if not isinstance(error, GatewayError):
        log.exception("unexpected error in a batch call")
        error = GatewayError()
    body = {"error": error.message, "status": error.code, "http_status": error.http_status}
    if error.details is not None:
        body["details"] = error.details
    return body
