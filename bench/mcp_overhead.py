"""MCP's cost over REST: the same search_read through POST /tools/call and POST /mcp, under gunicorn.

Run: ``.venv/bin/python -m bench.mcp_overhead [calls]``; prints per-call medians and their ratio.
"""

from __future__ import annotations

import statistics
import sys
import time

import requests

from sandbox import OdooDouble
from tests.test_gunicorn import start_gunicorn, wait_healthy

ARGUMENTS = {"model": "res.partner", "fields": ["name", "email"], "limit": 20}


def timed(http: requests.Session, url: str, headers: dict, body: dict, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        response = http.post(url, json=body, headers=headers, timeout=10)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return samples


def main(calls: int) -> None:
    double = OdooDouble().start()
    process, base = start_gunicorn({"LOG_LEVEL": "WARNING"})
    try:
        wait_healthy(process, base)
        minted = requests.post(base + "/auth/generate", timeout=10, json={
            "url": double.url, "database": "demo", "username": "admin", "password": "admin"})
        key = minted.json()["api_key"]
        headers = {"Authorization": f"Bearer {key}"}
        rest_body = {"name": "search_read", "arguments": ARGUMENTS}
        mcp_body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": rest_body}
        with requests.Session() as http:
            timed(http, base + "/tools/call", headers, rest_body, 50)  # warm both workers' pools
            timed(http, base + "/mcp", headers, mcp_body, 50)
            rest_samples: list[float] = []
            mcp_samples: list[float] = []
            for _ in range(calls // 10):  # interleaved, so drift hits both alike
                rest_samples += timed(http, base + "/tools/call", headers, rest_body, 10)
                mcp_samples += timed(http, base + "/mcp", headers, mcp_body, 10)
            rest, mcp = statistics.median(rest_samples), statistics.median(mcp_samples)
        print(f"{calls} sequential calls each, search_read of 20 partners, keep-alive, 2 workers x 4 threads")
        print(f"REST /tools/call median {rest * 1000:.2f} ms; MCP /mcp median {mcp * 1000:.2f} ms; "
              f"ratio MCP/REST {mcp / rest:.2f}")
    finally:
        process.kill()
        process.communicate()
        double.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
