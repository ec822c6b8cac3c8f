"""A tiny JSON-RPC helper for the MCP tests: one POST to /mcp per call, through the Flask client."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

INIT_PARAMS = {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "tests", "version": "1"}}


class Rpc:
    """Posts JSON-RPC messages to /mcp with a key; ``request`` answers the response object."""

    def __init__(self, client: FlaskClient, key: str | None) -> None:
        self.client = client
        self.key = key
        self.next_id = 0

    def post(self, body: Any, headers: dict[str, str] | None = None, raw: bool = False):
        sent = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        sent.update(headers or {})
        data = body if raw else json.dumps(body)
        return self.client.post("/mcp", data=data, headers=sent)

    def request(self, method: str, params: dict | None = None, **headers: str):
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        return self.post(message, headers)

    def result(self, method: str, params: dict | None = None) -> Any:
        response = self.request(method, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "error" not in response.json, response.json
        return response.json["result"]

    def tool(self, name: str, **arguments: Any) -> dict:
        return self.result("tools/call", {"name": name, "arguments": arguments})

    def tool_names(self) -> set[str]:
        return {tool["name"] for tool in self.result("tools/list")["tools"]}
