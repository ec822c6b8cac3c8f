"""Scale-out benchmark: calls/s through nginx with 1 replica, then 2, against a 50 ms Odoo.

    make bench-scale            (or: PYTHONPATH=. .venv/bin/python bench/scale_out.py)

Each replica is one gunicorn worker with enough threads that it is bound by its one core (the
GIL), not by threads waiting on Odoo; so a second replica can add the second core. The Odoo
double runs in its own process, the load comes from CLIENTS threads (each with a kept-alive
connection to nginx) in this one. Everything runs on 127.0.0.1. Prints both rates and the
ratio; writes bench/results/scale_out.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

from tests.cluster import Cluster, free_port, listening, wait_until

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale_out.json"
BODY = json.dumps({"name": "search_read", "arguments": {"model": "res.partner", "limit": 5}})


def start_odoo(latency: float) -> tuple[subprocess.Popen, str]:
    """The Odoo double in a process of its own, so its threads do not share our GIL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--latency", str(latency)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: listening(port), "the Odoo double", process)
    return process, f"http://127.0.0.1:{port}"


def mint(port: int, odoo_url: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/auth/generate", json.dumps({
            "url": odoo_url, "database": "demo", "username": "admin", "password": "admin",
            "scope": "*:R"}), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        body = json.loads(answer.read())
        assert answer.status == 200, body
        return body["api_key"]
    finally:
        connection.close()


def measure(port: int, key: str, clients: int, warmup: float, seconds: float) -> dict:
    """Drive ``clients`` threads for warmup + seconds; count the calls answered in the window."""
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    stop = threading.Event()
    window: dict[str, float] = {}
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = errors = 0
        try:
            while not stop.is_set():
                try:
                    connection.request("POST", "/tools/call", BODY, headers)
                    answer = connection.getresponse()
                    answer.read()
                    good = answer.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()
                    good = False
                now = time.monotonic()
                if window and window["start"] <= now <= window["end"]:
                    ok, errors = ok + good, errors + (not good)
        finally:
            connection.close()
            with lock:
                counts["ok"] += ok
                counts["errors"] += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    window.update(start=time.monotonic(), end=time.monotonic() + seconds)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return {"calls_per_second": round(counts["ok"] / seconds, 1), "errors": counts["errors"]}


def run(replicas: int, odoo_url: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as workdir, Cluster(
            Path(workdir), odoo_url, Fernet.generate_key().decode(), replicas=replicas, workers=1,
            threads=args.threads, env={"RATE_LIMIT": "100000000/hour", "LOG_LEVEL": "WARNING"},
    ) as cluster:
        key = mint(cluster.nginx.port, odoo_url)
        result = measure(cluster.nginx.port, key, args.clients, args.warmup, args.seconds)
    return {"replicas": replicas, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="Odoo double latency (s)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent client threads")
    parser.add_argument("--threads", type=int, default=32, help="gunicorn threads per replica")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start per run")
    args = parser.parse_args(argv)
    odoo, odoo_url = start_odoo(args.latency)
    try:
        rows = [run(n, odoo_url, args) for n in (1, 2)]
    finally:
        odoo.terminate()
        odoo.wait(timeout=10)
    ratio = rows[1]["calls_per_second"] / max(rows[0]["calls_per_second"], 0.1)
    report = {
        "benchmark": "scale_out", "odoo_latency_ms": args.latency * 1000, "clients": args.clients,
        "replica": f"1 worker x {args.threads} threads", "cores": os.cpu_count(), "runs": rows,
        "ratio_2_over_1": round(ratio, 2),
    }
    for row in rows:
        print(f"scale-out  {row['replicas']} replica(s) behind nginx  "
              f"{row['calls_per_second']:8.1f} calls/s  errors={row['errors']}")
    print(f"scale-out  ratio 2 replicas / 1 replica = {ratio:.2f} "
          f"(Odoo latency {args.latency * 1000:.0f} ms, {args.clients} clients, {os.cpu_count()} cores)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
