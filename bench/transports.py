"""Per-call cost of XML-RPC against JSON-2 through the gateway, against the local Odoo double.

    .venv/bin/python -m bench.transports [CALLS]

Prints calls per second for each transport and tool, and JSON-2's ratio to XML-RPC (no asserts:
wall-clock numbers depend on the machine).
"""

from __future__ import annotations

import sys
import time

from cryptography.fernet import Fernet

from app import create_app
from app.base.config import Settings
from sandbox import API_KEYS, OdooDouble

CASES = [
    ("search_count", {"model": "res.partner"}),
    ("search_read", {"model": "res.partner", "fields": ["name", "parent_id"], "limit": 50}),
    ("read_group", {"model": "sale.order", "groupby": ["partner_id"], "fields": ["amount_total:sum"]}),
]


def rate(client, key: str, name: str, arguments: dict, calls: int) -> float:
    body = {"name": name, "arguments": arguments}
    started = time.perf_counter()
    for _ in range(calls):
        response = client.post("/tools/call", json=body, headers={"X-API-Key": key})
        assert response.status_code == 200, response.json
    return calls / (time.perf_counter() - started)


def main(calls: int = 300) -> None:
    with OdooDouble() as odoo:
        odoo.version = "19.0"
        app = create_app(Settings(encryption_keys=(Fernet.generate_key(),), log_level="WARNING").checked())
        client = app.test_client()
        keys = {}
        for transport in ("xmlrpc", "json2"):
            minted = client.post("/auth/generate", json={
                "url": odoo.url, "database": "demo", "username": "admin", "scope": "*:R",
                "password": API_KEYS["demo"]["admin"][0], "transport": transport})
            keys[transport] = minted.json["api_key"]
        print(f"{'tool':<14}{'xmlrpc/s':>10}{'json2/s':>10}{'json2/xmlrpc':>14}")
        for name, arguments in CASES:
            rates = {t: rate(client, k, name, arguments, calls) for t, k in keys.items()}
            print(f"{name:<14}{rates['xmlrpc']:>10.0f}{rates['json2']:>10.0f}"
                  f"{rates['json2'] / rates['xmlrpc']:>14.2f}")
        app.extensions["gateway"].close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
