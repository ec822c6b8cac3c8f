"""Load run: ``python -m bench.load [--requests N] [--clients C]``; exits non-zero on any error.

Mixed tools over several keys (two scopes, three sets of credentials) from C threads, each with
its own keep-alive connection, against gunicorn and the Odoo double in its own process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.harness import Client, mint, percentile, running

MIX = [
    ("search_read", {"model": "res.partner", "limit": 10, "fields": ["name", "email"]}),
    ("search_count", {"model": "res.partner", "domain": [["is_company", "=", True]]}),
    ("read", {"model": "res.partner", "ids": [1, 2, 3]}),
    ("search", {"model": "sale.order", "limit": 5}),
    ("fields_get", {"model": "res.partner", "attributes": ["type"]}),
    ("create", {"model": "res.partner", "values": {"name": "Load test"}}),
    ("write", {"model": "res.partner", "ids": [1], "values": {"phone": "+32 2 000 00 00"}}),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args(argv)
    env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "16", "LOG_FORMAT": "json"}
    log = Path(tempfile.mkdtemp(prefix="odoo-gateway-load-")) / "stdout.log"
    with running(log=log, **env) as (double, gunicorn):
        tokens = [f"load-token-{n}" for n in range(2)]
        double.ask("api_keys", tokens)
        keys = [mint(double.url, password, scope) for password in ["admin", *tokens]
                for scope in ("*:RWD", "res.partner:RW,*:R") for _ in range(4)]
        cold_rss = gunicorn.rss_mb()
        run_clients(gunicorn.port, keys, args.clients, 2_000, "warm")  # caches and pools fill
        double.clear()
        start_rss = gunicorn.rss_mb()
        statuses, latencies, elapsed = run_clients(gunicorn.port, keys, args.clients, args.requests,
                                                   "load")
        end_rss = gunicorn.rss_mb()
    # gunicorn has stopped (SIGTERM): every line its workers queued must be in the log now.
    logged = logged_once(log, "load", args.requests)
    errors = sum(count for status, count in statuses.items() if status != 200)
    report = {
        "requests": sum(statuses.values()), "clients": args.clients, "errors": errors,
        "statuses": dict(statuses), "seconds": round(elapsed, 2),
        "rps": round(sum(statuses.values()) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "worker_rss_mb_cold": [round(m, 1) for m in cold_rss],
        "worker_rss_mb_start": [round(m, 1) for m in start_rss],
        "worker_rss_mb_end": [round(m, 1) for m in end_rss], "gunicorn": env, "log": logged,
    }
    print(json.dumps(report, indent=2))
    return 1 if errors or not logged["every_request_logged_once"] else 0


def logged_once(log: Path, prefix: str, requests: int) -> dict:
    """Whether each request ``prefix-N`` left exactly one line in gunicorn's stdout (all JSON)."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    entries, not_json = [], 0
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            not_json += 1
    seen = Counter(e.get("request_id") for e in entries
                   if str(e.get("request_id", "")).startswith(f"{prefix}-") and e.get("message") == "request")
    wanted = {f"{prefix}-{n}" for n in range(requests)}
    missing, twice = len(wanted - set(seen)), sum(1 for count in seen.values() if count > 1)
    return {"lines": len(lines), "not_json": not_json, "requests_logged": len(seen),
            "missing": missing, "logged_twice": twice,
            "every_request_logged_once": not missing and not twice and not not_json}


def run_clients(port: int, keys: list[str], clients: int, requests: int, prefix: str):
    """``requests`` calls from ``clients`` threads with request ids ``prefix-N``.

    Returns (statuses, latencies, seconds).
    """
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    tickets = iter(range(requests))
    lock = threading.Lock()
    def client(number: int) -> None:
        http = Client(port)
        work = itertools.cycle(MIX[number % len(MIX):] + MIX[:number % len(MIX)])
        mine: list[float] = []
        seen: Counter[int] = Counter()
        try:
            while True:
                with lock:
                    ticket = next(tickets, None)
                if ticket is None:
                    break
                name, arguments = next(work)
                started = time.perf_counter()
                try:
                    status, _ = http.call(keys[ticket % len(keys)], name, f"{prefix}-{ticket}",
                                          **arguments)
                except OSError:
                    status = 0
                    http.close()
                    http = Client(port)
                mine.append(time.perf_counter() - started)
                seen[status] += 1
        finally:
            http.close()
            with lock:
                latencies.extend(mine)
                statuses.update(seen)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies, time.perf_counter() - started

if __name__ == "__main__":
    raise SystemExit(main())
