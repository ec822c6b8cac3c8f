"""The Model Context Protocol over Streamable HTTP, stateless: one JSON-RPC message in, JSON out.

The same keys, scopes, tool registry and errors as ``POST /tools/call``: every request opens the
key through ``Gateway.open_key`` and runs tools through ``Gateway.call``. Failures of a tool (bad
arguments, a denied scope, Odoo's refusal) are tool results with ``isError``; failures of the
protocol (bad JSON, unknown method, bad params) are JSON-RPC errors::

    -32700 parse error        HTTP 400   the body is not JSON
    -32600 invalid request    HTTP 400   not a JSON-RPC 2.0 message, a batch at 2025-06-18+,
                                         an unsupported MCP-Protocol-Version header
    -32601 method not found   HTTP 200
    -32602 invalid params     HTTP 200   includes an unknown tool name, as the specification says
    -32001 key refused        HTTP 401   missing, bad or expired key (data: the contract's error);
                                         another refusal of the key keeps its own HTTP status
    -32603 internal error     HTTP 200   a bug; logged with its traceback
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.api.idempotency import mcp_once
from app.base import jsondepth
from app.base.errors import GatewayError, InvalidRequest, ToolNotFound
from app.core.access.keys import KeyClaims
from app.core.access.scopes import Scope

log = logging.getLogger("odoo_gateway")

# Newest first. Streamable HTTP exists since 2025-03-26; 2025-11-25 changed nothing a tools-only,
# stateless server answers differently.
PROTOCOL_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26")
BATCH_VERSIONS = frozenset({"2025-03-26"})  # 2025-06-18 removed JSON-RPC batches
# With no MCP-Protocol-Version header the specification says to assume 2025-03-26.
DEFAULT_VERSION = "2025-03-26"

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700, -32600, -32601, -32602, -32603
)
UNAUTHORIZED = -32001

# Hints for each scope letter; an unknown letter gets the conservative (destructive) hints.
HINTS: dict[str, dict[str, bool]] = {
    "R": {"readOnlyHint": True},
    "W": {"readOnlyHint": False, "destructiveHint": False},
    "D": {"readOnlyHint": False, "destructiveHint": True},
}
UNKNOWN_HINTS = {"readOnlyHint": False, "destructiveHint": True}


class RpcError(Exception):
    """A JSON-RPC error answer, with the HTTP status it gets when it answers a lone message."""

    def __init__(self, code: int, message: str, data: Any = None, http_status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.data, self.http_status = code, message, data, http_status

    def answer(self, message_id: Any = None) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return {"jsonrpc": "2.0", "id": message_id, "error": error}


@dataclass
class Reply:
    """What the blueprint sends back: a status and a JSON body (None: 202 with no body)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class McpServer:
    """Answers the JSON-RPC messages of one HTTP request for a Gateway."""

    def __init__(self, gateway: Any, version: str, request_id: str | None = None,
                 note: Callable[..., None] = lambda **_: None,
                 limit: Callable[[str], None] = lambda key_id: None) -> None:
        self.gateway = gateway
        self.version = version
        self.request_id = request_id
        self.note = note
        self.limit = limit  # the per-key rate limit (RATE_LIMIT), counted per tool call
        self._methods: dict[str, Callable[[dict, KeyClaims], dict]] = {
            "initialize": self._initialize, "ping": lambda params, claims: {},
            "tools/list": self._list_tools, "tools/call": self._call_tool,
        }

    def handle(self, raw: bytes, api_key: str | None, version_header: str | None) -> Reply:
        """Answer one POST body: parse, check the key and version, then run the message(s)."""
        try:
            message = _parse(raw, self.gateway.settings.max_json_depth, self.request_id)
        except RpcError as error:
            return Reply(error.http_status, error.answer())
        try:
            claims = self.gateway.open_key(api_key)
        except GatewayError as error:
            refused = RpcError(UNAUTHORIZED, error.message, error.payload(self.request_id), error.http_status)
            headers = {"WWW-Authenticate": 'Bearer realm="odoo-gateway"'} if error.http_status == 401 else {}
            return Reply(refused.http_status, refused.answer(_id_of(message)), headers)
        self.note(key_id=claims.key_id)
        try:
            version = self._version(message, version_header)
        except RpcError as error:
            return Reply(error.http_status, error.answer(_id_of(message)))
        if isinstance(message, list):
            return self._batch(message, claims, version)
        try:
            answer = self._one(message, claims)
        except RpcError as error:
            return Reply(error.http_status, error.answer(_id_of(message)))
        return Reply(202) if answer is None else Reply(200, answer)

    def _version(self, message: Any, header: str | None) -> str:
        """The revision this request speaks; an unsupported header is refused (except at initialize)."""
        if header is None:
            return DEFAULT_VERSION
        header = header.strip()
        if header in PROTOCOL_VERSIONS:
            return header
        if isinstance(message, dict) and message.get("method") == "initialize":
            return DEFAULT_VERSION  # initialize negotiates the version in its body
        raise RpcError(INVALID_REQUEST, f"Unsupported MCP-Protocol-Version {header!r}: this server "
                       f"speaks {', '.join(PROTOCOL_VERSIONS)}.",
                       {"supported": list(PROTOCOL_VERSIONS), "requested": header}, 400)

    def _batch(self, messages: list, claims: KeyClaims, version: str) -> Reply:
        """JSON-RPC batches, which only the 2025-03-26 revision allows (never with initialize)."""
        if version not in BATCH_VERSIONS:
            error = RpcError(INVALID_REQUEST, "JSON-RPC batches were removed in MCP 2025-06-18 (this "
                             f"request speaks {version}): send one message per POST.")
            return Reply(400, error.answer())
        if not messages:
            return Reply(400, RpcError(INVALID_REQUEST, "An empty JSON-RPC batch.").answer())
        answers = []
        for message in messages:
            try:
                if isinstance(message, dict) and message.get("method") == "initialize":
                    raise RpcError(INVALID_REQUEST, "initialize must not be part of a JSON-RPC batch.")
                answer = self._one(message, claims)
            except RpcError as error:
                answer = error.answer(_id_of(message))
            if answer is not None:
                answers.append(answer)
        return Reply(200, answers) if answers else Reply(202)

    def _one(self, message: Any, claims: KeyClaims) -> dict | None:
        """The answer to one message; None for notifications and responses (accepted, no body)."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            raise RpcError(INVALID_REQUEST, "Not a JSON-RPC 2.0 message: send an object with "
                           "\"jsonrpc\": \"2.0\".", http_status=400)
        if "method" not in message:
            if ("result" in message or "error" in message) and _valid_id(message.get("id")):
                return None  # a client's answer to a server request: this server sends none
            raise RpcError(INVALID_REQUEST, "A JSON-RPC message needs a method, or a result or error.",
                           http_status=400)
        method, params = message["method"], message.get("params", {})
        if not isinstance(method, str):
            raise RpcError(INVALID_REQUEST, "The JSON-RPC method must be a string.", http_status=400)
        if "id" not in message:
            return None  # a notification (initialized, cancelled, ...): accepted, never answered
        if not _valid_id(message["id"]):
            raise RpcError(INVALID_REQUEST, "A JSON-RPC request id must be a string or an integer.",
                           http_status=400)
        if not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, f"The params of {method} must be an object.")
        handler = self._methods.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method!r}; this server offers "
                           f"{', '.join(self._methods)}.")
        self.note(mcp=method)
        try:
            result = handler(params, claims)
        except RpcError:
            raise
        except Exception:
            log.exception("request_id=%s unexpected error in MCP %s", self.request_id, method)
            raise RpcError(INTERNAL_ERROR, GatewayError.message) from None
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    def _initialize(self, params: dict, claims: KeyClaims) -> dict:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise RpcError(INVALID_PARAMS, "initialize needs params.protocolVersion (a string).")
        return {
            "protocolVersion": requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[0],
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "odoo-gateway", "title": "Odoo Gateway", "version": self.version},
            "instructions": (
                "Each tool runs one Odoo ORM method on the model named by its `model` argument "
                f"(e.g. res.partner). This key's scope is {claims.scope}: R reads, W creates and "
                "writes, D deletes; start with fields_get to learn a model's fields."
                + (" Its field rules ([...]) hide some fields: fields_get describes only the ones "
                   "it may use, and naming another is refused. Filter relations by ids or by "
                   "allowed fields (parent_id.name), not by text or display_name, and send only "
                   "lang, tz, active_test or allowed_company_ids in the context."
                   if claims.rules.field_restricted
                   else "")
            ),
        }

    def _list_tools(self, params: dict, claims: KeyClaims) -> dict:
        if params.get("cursor") is not None:
            raise RpcError(INVALID_PARAMS, "Unknown cursor: this server lists every tool on one page.")
        granted = granted_letters(claims.rules)
        return {"tools": [mcp_tool(entry) for entry in self.gateway.registry.catalogue()
                          if entry["permission"] in granted]}

    def _call_tool(self, params: dict, claims: KeyClaims) -> dict:
        name, arguments = params.get("name"), params.get("arguments", {})
        if not isinstance(name, str) or not name:
            raise RpcError(INVALID_PARAMS, "tools/call needs params.name (a tool name).")
        self.note(tool=name)
        meta = params.get("_meta")
        key = meta.get("idempotencyKey") if isinstance(meta, dict) else None
        if key is None:
            return self._run_tool(name, arguments, claims)[1]
        try:
            return mcp_once(self.gateway, claims.key_id, key, {"name": name, "arguments": arguments},
                            lambda: self._run_tool(name, arguments, claims))
        except GatewayError as error:  # a bad key, another body, or still running
            return self._tool_error(error)

    def _run_tool(self, name: str, arguments: Any, claims: KeyClaims) -> tuple[int, dict]:
        """(HTTP status it stands for, the MCP result) of one tool call."""
        try:
            if not isinstance(arguments, dict):
                raise _invalid_arguments(name)
            self.note(model=arguments.get("model"))
            self.limit(claims.key_id)
            result = self.gateway.call(claims, name, arguments, face="mcp")
        except ToolNotFound as error:
            raise RpcError(INVALID_PARAMS, error.message, error.payload(self.request_id)) from None
        except GatewayError as error:
            if error.http_status >= 500:
                log.warning("request_id=%s %s: %s", self.request_id, error.code, error.message)
            return error.http_status, self._tool_error(error)
        except Exception:
            log.exception("request_id=%s unexpected error in MCP tool %s", self.request_id, name)
            return 500, self._tool_error(GatewayError())
        return 200, {**tool_content(result), "isError": False}

    def _tool_error(self, error: GatewayError) -> dict:
        payload = error.payload(self.request_id)
        return {"content": [{"type": "text", "text": f"{error.code}: {error.message}"}],
                "structuredContent": payload, "isError": True}


def mcp_tool(entry: dict) -> dict:
    """A catalogue entry as an MCP tool: its JSON Schema, and hints from its scope letter."""
    return {
        "name": entry["name"], "title": entry["name"].replace("_", " ").capitalize(),
        "description": f"{entry['description']} Needs scope letter {entry['permission']} on the model.",
        "inputSchema": entry["inputSchema"],
        "annotations": dict(HINTS.get(entry["permission"], UNKNOWN_HINTS)),
    }


def granted_letters(rules: Scope) -> set[str]:
    """Every letter the scope grants on at least one model (a tool needing another is useless)."""
    return rules.letters_anywhere()


def _parse(raw: bytes, max_depth: int, request_id: str | None) -> Any:
    try:
        return jsondepth.loads(raw, max_depth)
    except jsondepth.TooDeep as error:
        refused = error.refusal()
        raise RpcError(INVALID_REQUEST, refused.message, refused.payload(request_id), 400) from None
    except (ValueError, UnicodeDecodeError):
        raise RpcError(PARSE_ERROR, "Parse error: the body is not valid JSON.", http_status=400) from None


def _valid_id(value: Any) -> bool:
    # MCP forbids null ids; bool is an int to Python but not to JSON-RPC.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _id_of(message: Any) -> Any:
    """The id to echo in an error: the message's own when it has a valid one, else null."""
    candidate = message.get("id") if isinstance(message, dict) else None
    return candidate if _valid_id(candidate) else None


def _invalid_arguments(name: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid arguments for tool {name!r}: arguments must be a JSON object.")


def tool_content(result: dict) -> dict:
    """A tool result as MCP content: JSON text, plus the file as an embedded resource (base64 blob).

    Files and PDFs (``download_file``, ``get_report``) travel once, in the resource; the text and
    ``structuredContent`` carry the rest (name, size, checksum) without the bytes.
    """
    if not (isinstance(result.get("data"), str) and result.get("mimetype")):
        return {"content": [{"type": "text", "text": _text(result)}], "structuredContent": result}
    meta = {k: v for k, v in result.items() if k != "data"}
    where = result.get("attachment_id") or result.get("id") or ",".join(map(str, result.get("ids", [])))
    uri = f"odoo://{result.get('model')}/{result.get('report') or 'ir.attachment'}/{where}"
    resource = {"uri": uri, "mimeType": result["mimetype"], "blob": result["data"]}
    return {"content": [{"type": "text", "text": _text(meta)}, {"type": "resource", "resource": resource}],
            "structuredContent": meta}


def _text(result: Any) -> str:
    return json.dumps(result, ensure_ascii=False, default=str)
