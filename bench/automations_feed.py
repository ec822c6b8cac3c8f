"""Idempotency-Key overhead and change-feed paging, in process against the sandbox.

    PYTHONPATH=. .venv/bin/python bench/automations_feed.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

from flask.testing import FlaskClient

from app import create_app
from sandbox import OdooDouble
from tests.conftest import make_settings


def create(client: FlaskClient, key: str, name: str, idempotency_key: str | None) -> float:
    """Milliseconds for one create through /tools/call."""
    headers = {"X-API-Key": key, **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
    started = time.perf_counter()
    answer = client.post("/tools/call", headers=headers, json={
        "name": "create", "arguments": {"model": "res.partner", "values": {"name": name}}})
    assert answer.status_code == 200, answer.json
    return (time.perf_counter() - started) * 1000


def follow_feed(client: FlaskClient, key: str) -> tuple[int, int, str]:
    """(records, calls, last cursor) of the whole res.partner feed, 100 a page."""
    cursor, count, calls = "", 0, 0
    while True:
        arguments = {"model": "res.partner", "fields": ["name"], "cursor": cursor, "limit": 100,
                     "lag_seconds": 0}
        result = client.post("/tools/call", headers={"X-API-Key": key},
                             json={"name": "changes", "arguments": arguments}).json["result"]
        count, calls, cursor = count + result["count"], calls + 1, result["cursor"]
        if not result["more"]:
            return count, calls, cursor


def main() -> None:
    with OdooDouble() as odoo, tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings(idempotency_db=str(Path(tmp) / "idem.sqlite3")))
        client = app.test_client()
        key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                                  "password": "admin", "scope": "*:RW"}).json["api_key"]
        plain = statistics.median(create(client, key, f"P{n}", None) for n in range(300))
        keyed = statistics.median(create(client, key, f"K{n}", str(uuid.uuid4())) for n in range(300))
        same = str(uuid.uuid4())
        replay = statistics.median(create(client, key, "R", same) for _ in range(300))
        print(f"create, median ms: no key {plain:.2f}, a new Idempotency-Key {keyed:.2f}, "
              f"replay {replay:.2f}")
        client.post("/tools/call", headers={"X-API-Key": key}, json={"name": "create", "arguments": {
            "model": "res.partner", "values": [{"name": f"F{n}"} for n in range(1000)]}})
        time.sleep(1.1)  # the bulk's second is over
        started = time.perf_counter()
        count, calls, cursor = follow_feed(client, key)
        print(f"changes: {count} records in {calls} calls, {time.perf_counter() - started:.2f} s, "
              f"cursor {len(cursor)} characters")
        app.extensions["gateway"].close()


if __name__ == "__main__":
    main()
