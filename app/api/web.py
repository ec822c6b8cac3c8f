"""The HTTP edge: request ids, JSON bodies, the API key header, and the one error renderer."""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.base import jsondepth
from app.base.errors import GatewayError, InvalidRequest, MethodNotAllowed, NotFound, PayloadTooLarge

log = logging.getLogger("odoo_gateway")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def json_body() -> Any:
    """The request body as JSON, whatever the Content-Type (curl users often forget it)."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if not raw.strip():
        raise InvalidRequest("The request body is empty: send a JSON object.")
    try:
        return parse_json(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.") from None


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON: 400 when it nests deeper than MAX_JSON_DEPTH, ValueError when it is not JSON."""
    try:
        return jsondepth.loads(raw, current_app.extensions["gateway"].settings.max_json_depth)
    except jsondepth.TooDeep as error:
        raise error.refusal() from None


def api_key_from_headers() -> str | None:
    """The key from ``X-API-Key``, or from ``Authorization: Bearer KEY``."""
    key = request.headers.get("X-API-Key", "").strip()
    if key:
        return key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def public_url() -> str:
    """Where clients reach this gateway: PUBLIC_URL, else this request's root (behind ProxyFix)."""
    configured = current_app.extensions["gateway"].settings.public_url
    return configured or request.url_root.rstrip("/")


def note(**fields: Any) -> None:
    """Add fields (tool, model, key id) to this request's log line."""
    g.log_fields = {**g.get("log_fields", {}), **fields}


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, with Odoo's key order kept, and the compact encoder that every answer uses
    built once rather than per answer (the same output as ``json.dumps``)."""

    sort_keys = False  # keep Odoo's order and spare sorting large answers

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._encoders: dict[tuple, json.JSONEncoder] = {}

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs != {"separators": (",", ":")}:
            return super().dumps(obj, **kwargs)
        shape = (self.default, self.ensure_ascii, self.sort_keys)  # as set now on the provider
        encoder = self._encoders.get(shape)
        if encoder is None:
            encoder = self._encoders[shape] = json.JSONEncoder(
                default=self.default, ensure_ascii=self.ensure_ascii, sort_keys=self.sort_keys,
                separators=(",", ":"))
        return encoder.encode(obj)


def init_app(app: Flask) -> None:
    """Request ids, the access log line and the JSON error handlers."""
    app.before_request(_start)
    app.after_request(_finish)
    app.register_error_handler(GatewayError, _render_gateway_error)
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Exception, _render_unexpected)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    # A request id only has to be unique, not secret: no system entropy needed per request.
    g.request_id = given if _REQUEST_ID.match(given) else f"{random.getrandbits(128):032x}"
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    noted = g.get("log_fields", {})
    extra = " ".join(f"{k}={v}" for k, v in noted.items())
    fields = {"request_id": g.get("request_id"), "method": request.method, "path": request.path,
              "status": response.status_code, "duration_ms": round(elapsed, 1), **noted}
    if log.isEnabledFor(logging.INFO):
        # log.info without its walk up the stack for the caller's file and line (no format
        # shows them; ~5 µs a request): the record goes through the same filters and handlers.
        log.handle(log.makeRecord(
            log.name, logging.INFO, __file__, 0,
            "request_id=%s %s %s status=%s duration_ms=%.1f %s",
            (g.get("request_id"), request.method, request.path, response.status_code, elapsed, extra),
            None, "_finish", {"fields": fields, "event": "request"}))
    return response


def _render(error: GatewayError) -> Response:
    response = jsonify(error.payload(g.get("request_id")))
    response.status_code = error.http_status
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _render_gateway_error(error: GatewayError) -> Response:
    if error.http_status >= 500:
        log.warning("request_id=%s %s: %s", g.get("request_id"), error.code, error.message,
                    extra={"fields": {"request_id": g.get("request_id")}})
    return _render(error)


def _render_http_error(error: HTTPException) -> Response:
    if error.code == 404:
        return _render(NotFound(f"No route {request.method} {request.path}: see GET /tools/list."))
    if error.code == 405:
        allowed = ", ".join(sorted(error.valid_methods or [])) if hasattr(error, "valid_methods") else ""
        response = _render(MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}" + (f"; use {allowed}." if allowed else ".")
        ))
        if allowed:
            response.headers["Allow"] = allowed
        return response
    if error.code == 413:
        return _render(_too_large())
    mapped = GatewayError(error.description or error.name)
    mapped.http_status = error.code or 500
    mapped.code = (error.name or "error").lower().replace(" ", "_")
    return _render(mapped)


def _render_unexpected(error: Exception) -> Response:
    log.exception("request_id=%s unexpected error", g.get("request_id"),
                  extra={"fields": {"request_id": g.get("request_id")}})
    return _render(GatewayError())


def _too_large() -> PayloadTooLarge:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return PayloadTooLarge(f"The request body is larger than {limit} bytes (MAX_BODY_BYTES).")
