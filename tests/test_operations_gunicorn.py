"""Under a real gunicorn with 2 workers: metrics sum over the workers, and stdout is all JSON lines."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.test_gunicorn import start_gunicorn, stop_gunicorn, wait_healthy

pytestmark = pytest.mark.slow


def calls_counted(base: str) -> float:
    text = requests.get(base + "/metrics", timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "gateway_requests_total" and s.labels["endpoint"] == "/tools/call")


def test_counters_sum_over_workers_and_lines_are_json(odoo, tmp_path: Path) -> None:
    odoo.latency = 0.05  # calls overlap, so both workers take some
    process, base = start_gunicorn({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    try:
        wait_healthy(process, base)
        minted = requests.post(base + "/auth/generate", timeout=10, json={
            "url": odoo.url, "database": "demo", "username": "admin", "password": "admin"})
        headers = {"X-API-Key": minted.json()["api_key"]}

        def call(number: int) -> requests.Response:
            return requests.post(base + "/tools/call", timeout=10, json={
                "name": "search_count", "arguments": {"model": "res.partner"}},
                headers={**headers, "X-Request-ID": f"trace-{number}"})

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(call, range(60)))
        assert all(a.status_code == 200 for a in answers)
        assert [a.headers["X-Request-ID"] for a in answers] == [f"trace-{n}" for n in range(60)]
        workers = {p.name.rsplit("_", 1)[1] for p in tmp_path.glob("counter_*.db")}
        assert len(workers) >= 2, "one worker took every call: the sum was not exercised"
        # Whichever worker answers the scrape, it reports the calls of both.
        assert [calls_counted(base) for _ in range(6)] == [60.0] * 6
    finally:
        output = stop_gunicorn(process)
    # Every line on stdout is one JSON object: gunicorn's own (start, workers, shutdown) too.
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    gunicorn_said = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    for said in ("Starting gunicorn", "Booting worker", "Handling signal: term", "Worker exiting",
                 "Shutting down: Master"):
        assert any(message.startswith(said) for message in gunicorn_said), said
    requests_logged = [line for line in lines if line.get("path") == "/tools/call"]
    # Written by each worker's log thread, flushed at shutdown: every request once, none lost.
    assert sorted(line["request_id"] for line in requests_logged) == sorted(f"trace-{n}" for n in range(60))
    line = next(entry for entry in requests_logged if entry["request_id"] == "trace-7")
    assert line["method"] == "POST" and line["status"] == 200 and line["tool"] == "search_count"
    assert line["model"] == "res.partner" and line["odoo_host"] == odoo.url.split("//")[1]
    assert line["key_id"] == minted.json()["key_id"] and line["duration_ms"] >= 50
    assert minted.json()["api_key"] not in output and "admin" not in json.dumps(requests_logged)


def metrics_dirs(pid: int) -> list[Path]:
    parents = [Path("/dev/shm"), Path(tempfile.gettempdir())]  # noqa: S108 - where gunicorn.conf.py looks
    return [d for parent in parents if parent.is_dir() for d in parent.glob(f"odoo-gateway-metrics-{pid}-*")]


def test_own_metrics_directory_is_removed_at_exit_or_by_the_next_start(odoo) -> None:
    killed, base = start_gunicorn({"WEB_CONCURRENCY": "1"})
    wait_healthy(killed, base)
    assert len(metrics_dirs(killed.pid)) == 1
    killed.kill()  # no on_exit hook: the directory stays behind
    killed.communicate(timeout=30)
    assert metrics_dirs(killed.pid)
    process, base = start_gunicorn({"WEB_CONCURRENCY": "1"})
    try:
        wait_healthy(process, base)
        assert not metrics_dirs(killed.pid) and len(metrics_dirs(process.pid)) == 1
    finally:
        stop_gunicorn(process)
    assert not metrics_dirs(process.pid)
