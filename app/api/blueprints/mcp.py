"""MCP's Streamable HTTP endpoint: POST only, stateless, JSON answers (no server-sent events)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import openapi_examples as examples
from app.api.mcp import INVALID_REQUEST, McpServer, Reply, RpcError
from app.api.openapi import documented
from app.api.security import limit_key
from app.api.web import api_key_from_headers, note, public_url
from app.base import __version__

bp = Blueprint("mcp", __name__)


_ID = {"type": ["string", "integer"], "description": "The request id (a string or an integer)"}
_VERSION = {"const": "2.0"}
# One JSON-RPC 2.0 message: a request or notification (method), or a client's response (result/error).
_ONE = {"description": "A JSON-RPC 2.0 message", "oneOf": [
    {"type": "object", "title": "Request or notification (no id)", "required": ["jsonrpc", "method"],
     "properties": {"jsonrpc": _VERSION, "method": {"type": "string"}, "id": _ID,
                    "params": {"description": "The method's parameters: an object"}}},
    {"type": "object", "title": "Response", "required": ["jsonrpc", "id"],
     "not": {"required": ["method"]}, "anyOf": [{"required": ["result"]}, {"required": ["error"]}],
     "properties": {"jsonrpc": _VERSION, "id": _ID, "result": {}, "error": {}}},
]}
# Or a batch (without MCP-Protocol-Version, or with 2025-03-26): each item is answered in place.
MESSAGE = {"oneOf": [_ONE, {"type": "array", "minItems": 1, "description": "A JSON-RPC batch; an item "
                            "that is not a message is answered in place with error -32600"}]}


@bp.post("/mcp")
@documented("MCP (Model Context Protocol): JSON-RPC 2.0 over Streamable HTTP, the same tools",
            body=MESSAGE, ok={"type": ["object", "array"], "description": "A JSON-RPC answer (or a list)"},
            errors=(400, 401, 403, 406, 413), answers=(202,), examples=examples.MCP,
            error_body={"type": "object", "description": "A JSON-RPC 2.0 error answer"}, secured=True,
            tag="mcp", description="400 answers a body that is not a JSON-RPC 2.0 message; batches "
            "(arrays) only with the header MCP-Protocol-Version: 2025-03-26.")
def endpoint() -> Response:
    gateway = current_app.extensions["gateway"]
    reply = _refusal(gateway.settings.mcp_allowed_origins) or McpServer(
        gateway, __version__, g.get("request_id"), note, limit_key,
    ).handle(request.get_data(cache=True), api_key_from_headers(),
             request.headers.get("MCP-Protocol-Version"))
    if reply.status == 401 and "oauth" in current_app.extensions:
        # RFC 9728 section 5.1: tell the client where to start the OAuth sign-in.
        metadata = f"{public_url()}/.well-known/oauth-protected-resource/mcp"
        reply.headers["WWW-Authenticate"] = f'Bearer realm="odoo-gateway", resource_metadata="{metadata}"'
    return _send(reply)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return _send(_error(413, f"The request body is larger than {limit} bytes (MAX_BODY_BYTES)."))


def _refusal(allowed: tuple[str, ...]) -> Reply | None:
    """Refuse browser pages from other sites (DNS rebinding) and clients that cannot read JSON."""
    origin = request.headers.get("Origin")
    if origin is not None and "*" not in allowed and origin.rstrip("/") not in allowed:
        return _error(403, f"Origin {origin!r} is not allowed on /mcp: list it in MCP_ALLOWED_ORIGINS.")
    if "Accept" in request.headers and not request.accept_mimetypes.accept_json:
        return _error(406, "This server answers application/json only: accept it (no event streams).")
    return None


def _error(status: int, message: str) -> Reply:
    return Reply(status, RpcError(INVALID_REQUEST, message).answer())


def _send(reply: Reply) -> Response:
    if reply.body is None:
        response = Response(status=reply.status)
        del response.headers["Content-Type"]  # 202 Accepted carries no body at all
    else:
        response = jsonify(reply.body)
        response.status_code = reply.status
    response.headers.update(reply.headers)
    return response
