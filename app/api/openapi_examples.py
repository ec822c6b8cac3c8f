"""Examples for the OpenAPI document, so that "Try it out" in /docs/ works on the first try.

Request bodies get named examples (``/tools/call`` one per tool, taken from ``Tool.example`` so that
a tool added to the registry brings its own); each error status gets an error body of its own.
"""

from __future__ import annotations

from typing import Any

_RID = "3f2b8c1d9e0a4b7c8d6e5f4a3b2c1d0e"
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Invalid arguments for tool 'search_read': limit: Must be greater than or "
          "equal to 1 and less than or equal to 1000."),
    401: ("auth_failed", "Missing API key: send it in the X-API-Key header (or Authorization: Bearer KEY)."),
    403: ("permission_denied", "This key's scope does not allow W on res.partner (scope: *:R)."),
    404: ("not_found", "Record does not exist or has been deleted."),
    405: ("method_not_allowed", "GET is not allowed on /tools/call; use POST."),
    409: ("conflict", "This Idempotency-Key was used with another body: use a new key for a new call."),
    413: ("payload_too_large", "The request body is larger than 1048576 bytes (MAX_BODY_BYTES)."),
    422: ("odoo_error", "Contacts require a name."),
    429: ("rate_limited", "Too many requests for this key (600/minute): retry after the Retry-After delay."),
    500: ("internal_error", "Internal error: report the request_id to the operator."),
    502: ("connection_failed", "Could not reach Odoo at https://mycompany.odoo.com: check the URL and "
          "that Odoo is running and reachable from the gateway."),
    503: ("odoo_unavailable", "Odoo at https://mycompany.odoo.com failed 5 times in a row: calls pause "
          "for up to 30 seconds."),
    504: ("odoo_timeout", "Odoo at https://mycompany.odoo.com did not answer within 30 seconds."),
}
_MCP_ERRORS: dict[int, tuple[int, str]] = {
    400: (-32600, "Not a JSON-RPC 2.0 message: send an object with \"jsonrpc\": \"2.0\"."),
    401: (-32001, "Missing API key: send it in the X-API-Key header (or Authorization: Bearer KEY)."),
    403: (-32600, "Origin 'https://evil.example' is not allowed on /mcp: list it in MCP_ALLOWED_ORIGINS."),
    406: (-32600, "This server answers application/json only: accept it (no event streams)."),
    413: (-32600, "The request body is larger than 1048576 bytes (MAX_BODY_BYTES)."),
}

GENERATE = {
    "minimal": {"summary": "Read-only key (scope *:R)", "value": {
        "url": "https://mycompany.odoo.com", "database": "mycompany", "username": "admin",
        "password": "<Odoo password or API key>"}},
    "scoped": {"summary": "Partners read/write/delete, the rest read-only, for 30 days", "value": {
        "url": "https://mycompany.odoo.com", "database": "mycompany", "username": "admin",
        "password": "<Odoo password or API key>", "scope": "res.partner:RWD,*:R",
        "expires_in": 2592000, "transport": "auto"}},
}
VALIDATE = {"key": {"summary": "A key from /auth/generate", "value": {"api_key": "<the api_key>"}}}
REVOKE = {
    "by_key": {"summary": "The key itself", "value": {"api_key": "<the api_key>"}},
    "by_id": {"summary": "Its key_id (needs the minting token when GENERATE_TOKEN is set)",
              "value": {"key_id": "a50b3478b1917df5"}},
}
MCP = {
    "initialize": {"summary": "initialize", "value": {
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "curl", "version": "1"}}}},
    "tools_list": {"summary": "tools/list", "value": {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}},
    "tools_call": {"summary": "tools/call search_read", "value": {
        "jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search_read", "arguments": {
            "model": "res.partner", "fields": ["name"], "limit": 5}}}},
}


def tool_calls(tools: Any) -> dict:
    """One named example per tool: ``{"name": tool, "arguments": tool.example}``."""
    return {tool.name: {"summary": f"{tool.name}: {tool.description}",
                        "value": {"name": tool.name, "arguments": tool.example}}
            for tool in tools if tool.example}


def batch(tools: Any) -> dict:
    """A batch of the read-only tools' examples."""
    calls = [{"name": t.name, "arguments": t.example} for t in tools if t.example and t.letter == "R"]
    return {"reads": {"summary": "Several reads in one request", "value": {"calls": calls[:3]}},
            "stop": {"summary": "Stop at the first failure", "value": {
                "calls": calls[:2], "stop_on_error": True}}}


def error(status: int) -> dict:
    """The error body of ``status``, as the gateway answers it."""
    code, message = _ERRORS[status]
    return {"error": message, "status": code, "request_id": _RID}


def mcp_error(status: int) -> dict:
    """The JSON-RPC error body /mcp answers with ``status``."""
    code, message = _MCP_ERRORS.get(status) or (-32603, _ERRORS[status][1])
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
