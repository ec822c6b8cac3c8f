"""The field policy's cost: the same search_read with a plain key and a field-restricted key, and
a deny-list key reading without fields (the cached fields_get), under gunicorn.

Run: ``.venv/bin/python -m bench.field_policy [calls]``; prints per-call medians and the added time.
"""

from __future__ import annotations

import statistics
import sys

import requests

from bench.mcp_overhead import timed
from sandbox import OdooDouble
from tests.test_gunicorn import start_gunicorn, wait_healthy

DOMAIN = ["|", ["email", "ilike", "example"], "!", ["parent_id.name", "=", False]]
CASES = {
    "plain *:R, fields named": ("*:R", {"fields": ["name", "email"]}),
    "R[...] allow list, fields named": ("res.partner:R[name,email,parent_id],*:R",
                                        {"fields": ["name", "email"]}),
    "R[-...] deny list, fields omitted": ("res.partner:R[-comment,-c*],*:R", {}),
}


def main(calls: int) -> None:
    double = OdooDouble().start()
    process, base = start_gunicorn({"LOG_LEVEL": "WARNING"})
    try:
        wait_healthy(process, base)
        http = requests.Session()
        medians = {}
        for label, (scope, extra) in CASES.items():
            key = http.post(base + "/auth/generate", timeout=10, json={
                "url": double.url, "database": "demo", "username": "admin", "password": "admin",
                "scope": scope}).json()["api_key"]
            body = {"name": "search_read", "arguments": {
                "model": "res.partner", "domain": DOMAIN, "limit": 20, **extra}}
            headers = {"X-API-Key": key}
            timed(http, base + "/tools/call", headers, body, 20)  # warm: sessions, fields_get cache
            medians[label] = statistics.median(timed(http, base + "/tools/call", headers, body, calls))
        plain = medians["plain *:R, fields named"]
        for label, median in medians.items():
            print(f"{label:38} p50 {median * 1000:6.2f} ms  added {1000 * (median - plain):+5.2f} ms")
    finally:
        process.terminate()
        process.wait(10)
        double.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
