"""Odoo Gateway from Python with ``requests``: mint a key, page through partners, create, handle errors.

    GATEWAY_URL=http://localhost:3000 ODOO_URL=https://mycompany.odoo.com ODOO_DB=mycompany \
    ODOO_USER=me@example.com ODOO_PASSWORD=... python examples/python/gateway_client.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import requests


class GatewayError(Exception):
    """An answer in the gateway's error shape: ``status`` is the stable code, the message says what to do."""

    def __init__(self, http_status: int, body: dict) -> None:
        super().__init__(f"{http_status} {body.get('status')}: {body.get('error')}")
        self.http_status = http_status
        self.status = body.get("status")
        self.request_id = body.get("request_id")


class Gateway:
    """A small client: one ``requests.Session`` (keep-alive) and the key in a header."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout
        if api_key:
            self.http.headers["X-API-Key"] = api_key

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict) -> dict:
        answer = self.http.post(self.base_url + path, json=body, timeout=self.timeout)
        if answer.status_code >= 400:
            raise GatewayError(answer.status_code, answer.json())
        return answer.json()

    def mint(self, url: str, database: str, username: str, password: str, scope: str) -> dict:
        minted = self.post("/auth/generate", {"url": url, "database": database, "username": username,
                                              "password": password, "scope": scope})
        self.http.headers["X-API-Key"] = minted["api_key"]
        return minted

    def call(self, tool: str, **arguments: Any) -> dict:
        return self.post("/tools/call", {"name": tool, "arguments": arguments})["result"]

    def all_records(self, model: str, page_size: int = 100, **arguments: Any) -> Iterator[dict]:
        """Every matching record, fetched page by page with ``offset``."""
        offset = 0
        while True:
            page = self.call("search_read", model=model, limit=page_size, offset=offset, **arguments)
            yield from page["records"]
            if page["count"] < page_size:
                return
            offset += page_size


def main() -> None:
    env = os.environ
    gateway = Gateway(env.get("GATEWAY_URL", "http://localhost:3000"))
    try:
        minted = gateway.mint(env["ODOO_URL"], env["ODOO_DB"], env["ODOO_USER"], env["ODOO_PASSWORD"],
                              scope="res.partner:RW,*:R")
        partners = list(gateway.all_records("res.partner", page_size=5, fields=["name"], order="id"))
        created = gateway.call("create", model="res.partner", values={"name": "Python Example Ltd"})
        refused = None
        try:
            gateway.call("unlink", model="res.partner", ids=[created["id"]])  # the scope has no D
        except GatewayError as error:
            refused = {"http": error.http_status, "status": error.status, "request_id": error.request_id}
        print(json.dumps({"key_id": minted["key_id"], "partners": len(partners),
                          "created_id": created["id"], "refused": refused}))
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
