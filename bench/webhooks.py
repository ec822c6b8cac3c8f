"""Webhook benchmark: latency from a write in Odoo to its delivery, and deliveries per second per worker.

    make bench              (or: PYTHONPATH=. .venv/bin/python bench/webhooks.py)

One gunicorn worker (its dispatcher thread delivers), the Odoo double in its own process, and a
receiver in this one that answers 204 at once. Two measures:

- latency: WRITES contacts created one by one; for each, the time from the create's answer to
  the receiver getting its event. It is the change feed's lag (CHANGES_LAG_SECONDS, named in the
  report: what protects against slow transactions) plus up to one WEBHOOK_POLL_SECONDS, plus the
  delivery itself.
- throughput: BACKLOG contacts exist before a subscription starts from an earlier time; the time
  until all of them are acknowledged gives events and deliveries (batches) per second for the one
  worker.

Writes bench/results/webhooks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from tests.cluster import free_port, listening, wait_until

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "webhooks.json"


class Sink:
    """Answers 204 and notes when each event id first arrived."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.deliveries = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                now = time.time()
                with sink.lock:
                    sink.deliveries += 1
                    for event in body["events"]:
                        sink.first.setdefault(event["id"], now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start(args: argparse.Namespace, workdir: str) -> tuple[list[subprocess.Popen], str, str]:
    odoo_port, port = free_port(), free_port()
    odoo = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(odoo_port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: listening(odoo_port), "the Odoo double", odoo)
    env = {**os.environ, "ENCRYPTION_KEY": Fernet.generate_key().decode(), "HOST": "127.0.0.1",
           "PORT": str(port), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4",
           "WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_DB": os.path.join(workdir, "webhooks.sqlite3"),
           "CHANGES_LAG_SECONDS": str(args.lag), "WEBHOOK_POLL_SECONDS": str(args.poll),
           "WEBHOOK_BATCH_SIZE": str(args.batch), "RATE_LIMIT": "1000000/minute",
           "REVOCATION_DB": os.path.join(workdir, "revoked.sqlite3"),
           "RATE_LIMIT_DB": os.path.join(workdir, "ratelimit.sqlite3"), "LOG_LEVEL": "WARNING"}
    gateway = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: listening(port), "gunicorn", gateway)
    return [gateway, odoo], f"http://127.0.0.1:{port}", f"http://127.0.0.1:{odoo_port}"


def call(http: requests.Session, base: str, key: str, name: str, **arguments) -> dict:
    answer = http.post(base + "/tools/call", headers={"X-API-Key": key}, timeout=60,
                       json={"name": name, "arguments": arguments})
    answer.raise_for_status()
    return answer.json()["result"]


def subscribe(http: requests.Session, base: str, key: str, url: str, **extra) -> dict:
    answer = http.post(base + "/subscriptions", headers={"X-API-Key": key}, timeout=30,
                       json={"model": "res.partner", "url": url, "fields": ["name"], **extra})
    answer.raise_for_status()
    return answer.json()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def latency(http, base, key, writes: int, spacing: float) -> dict:
    sink = Sink()
    sub = subscribe(http, base, key, sink.url)
    written: dict[int, float] = {}
    for n in range(writes):
        made = call(http, base, key, "create", model="res.partner", values={"name": f"Latency {n}"})
        written[made["id"]] = time.time()
        time.sleep(spacing)
    deadline = time.monotonic() + 120
    while len(set(written) & set(sink.first)) < writes and time.monotonic() < deadline:
        time.sleep(0.05)
    seconds = [sink.first[i] - t for i, t in written.items() if i in sink.first]
    http.delete(f"{base}/subscriptions/{sub['id']}", headers={"X-API-Key": key}, timeout=30)
    return {"writes": writes, "delivered": len(seconds),
            "p50_seconds": round(percentile(seconds, 0.5), 3),
            "p95_seconds": round(percentile(seconds, 0.95), 3),
            "mean_seconds": round(statistics.mean(seconds), 3)}


def throughput(http, base, key, backlog: int, lag: float) -> dict:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.0)  # the backlog is stamped after ``since``
    ids: list[int] = []
    while len(ids) < backlog:
        chunk = min(1000, backlog - len(ids))
        ids += call(http, base, key, "create", model="res.partner",
                    values=[{"name": f"Backlog {len(ids) + n}"} for n in range(chunk)])["ids"]
    time.sleep(lag + 1.5)  # the whole backlog is behind the feed's horizon before the clock starts
    sink = Sink()
    started = time.time()
    subscribe(http, base, key, sink.url, since=since)
    deadline = time.monotonic() + 600
    while len(set(ids) & set(sink.first)) < backlog and time.monotonic() < deadline:
        time.sleep(0.05)
    done = max(sink.first[i] for i in ids if i in sink.first)
    seconds = done - started
    got = len(set(ids) & set(sink.first))
    return {"events": got, "deliveries": sink.deliveries, "seconds": round(seconds, 2),
            "events_per_second_per_worker": round(got / seconds, 1),
            "deliveries_per_second_per_worker": round(sink.deliveries / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lag", type=float, default=1.0,
                        help="CHANGES_LAG_SECONDS (default 1; production default 10)")
    parser.add_argument("--poll", type=float, default=0.5, help="WEBHOOK_POLL_SECONDS")
    parser.add_argument("--batch", type=int, default=50, help="WEBHOOK_BATCH_SIZE")
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--backlog", type=int, default=3000)
    args = parser.parse_args(argv)
    batch_size = args.batch
    report: dict = {"settings": {"CHANGES_LAG_SECONDS": args.lag, "WEBHOOK_POLL_SECONDS": args.poll,
                                 "WEB_CONCURRENCY": 1}}
    for batch in (args.batch, 1):  # events/s with batches; deliveries/s with one event each
        args.batch = batch
        with tempfile.TemporaryDirectory() as workdir:
            processes, base, odoo_url = start(args, workdir)
            try:
                with requests.Session() as http:
                    minted = http.post(base + "/auth/generate", timeout=30, json={
                        "url": odoo_url, "database": "demo", "username": "admin", "password": "admin",
                        "scope": "*:RW"})
                    minted.raise_for_status()
                    key = minted.json()["api_key"]
                    if "latency_write_to_delivery" not in report:
                        report["latency_write_to_delivery"] = latency(http, base, key, args.writes, 0.1)
                    backlog = args.backlog if batch > 1 else max(1, args.backlog // 10)
                    report[f"throughput_batch_{batch}"] = throughput(http, base, key, backlog, args.lag)
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(30)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    lat = report["latency_write_to_delivery"]
    many, one = report[f"throughput_batch_{batch_size}"], report["throughput_batch_1"]
    print(f"webhooks: write-to-delivery p50 {lat['p50_seconds']} s, p95 {lat['p95_seconds']} s "
          f"(lag: CHANGES_LAG_SECONDS={args.lag} s plus polling every {args.poll} s); per worker: "
          f"{many['events_per_second_per_worker']} events/s in batches of {batch_size}, "
          f"{one['deliveries_per_second_per_worker']} deliveries/s of one event each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
