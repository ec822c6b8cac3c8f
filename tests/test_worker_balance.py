"""Callers go to a gunicorn worker with a free thread (app/base/worker.py), under real gunicorn.

Two workers of one thread each; one worker's thread is held by a call that hangs in the Odoo
double. Which worker holds a connection is read from /proc (the server side of each TCP
connection is a socket of exactly one worker).
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from prometheus_client import CollectorRegistry, multiprocess

from bench.harness import connections_to, sockets_held
from tests.test_gunicorn import start_gunicorn, stop_gunicorn, wait_healthy


@pytest.fixture
def two_single_thread_workers(odoo) -> Iterator[tuple[int, object]]:
    process, base = start_gunicorn({"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1",
                                    "ODOO_TIMEOUT_SECONDS": "60"})
    try:
        wait_healthy(process, base)
        while len(_workers(process.pid)) < 2:  # the second worker may still be booting
            time.sleep(0.05)
        yield urlsplit(base).port, process
    finally:
        odoo.failure = None
        stop_gunicorn(process)


def _workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def _owner(master: int, server_port: int, client: http.client.HTTPConnection) -> int:
    """The worker holding the server side of ``client``'s connection."""
    served = connections_to(server_port, client.sock.getsockname()[1])
    assert served, "the connection is not in /proc/net/tcp"
    holders = [pid for pid in _workers(master) if sockets_held(pid, served)]
    assert len(holders) == 1, holders
    return holders[0]


def _health(client: http.client.HTTPConnection) -> http.client.HTTPResponse:
    client.request("GET", "/health")
    answer = client.getresponse()
    answer.read()
    return answer


def _hold_a_thread(odoo, port: int, key: str, client: http.client.HTTPConnection) -> threading.Thread:
    """Send a call on ``client`` that hangs in Odoo; return once Odoo has it (its thread is held)."""
    odoo.failure = "hang"
    seen = odoo.posts

    def call() -> None:
        client.request("POST", "/tools/call", headers={"X-API-Key": key, "Content-Type": "application/json"},
                       body='{"name": "search_count", "arguments": {"model": "res.partner"}}')
        # However the hung call ends, it ends after the test's checks.
        with contextlib.suppress(OSError, http.client.HTTPException):
            client.getresponse().read()

    holder = threading.Thread(target=call, daemon=True)
    holder.start()
    deadline = time.monotonic() + 30
    while odoo.posts == seen:
        assert time.monotonic() < deadline, "the held call never reached Odoo"
        time.sleep(0.01)
    return holder


def _mint(odoo, port: int) -> str:
    minted = requests.post(f"http://127.0.0.1:{port}/auth/generate", timeout=30, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": "admin", "scope": "*:R"})
    assert minted.status_code == 200, minted.text
    return minted.json()["api_key"]


def test_a_new_caller_goes_to_the_worker_with_a_free_thread(odoo, two_single_thread_workers) -> None:
    port, process = two_single_thread_workers
    key = _mint(odoo, port)
    held = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    holder = _hold_a_thread(odoo, port, key, held)
    busy = _owner(process.pid, port, held)
    # Plain gthread hands each new connection to either worker: half of them would wait behind
    # the hung call (and time out here). Twelve in a row all answered: 1 chance in 4,096 by luck.
    for _ in range(12):
        caller = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert _health(caller).status == 200
        assert _owner(process.pid, port, caller) != busy
        caller.close()
    odoo.failure = None
    holder.join(timeout=60)
    held.close()


def test_a_caller_that_waited_for_a_thread_is_sent_to_reconnect(odoo, two_single_thread_workers) -> None:
    port, process = two_single_thread_workers
    key = _mint(odoo, port)
    # Kept-alive connections until two of them sit in the same worker (three at most).
    by_worker: dict[int, list[http.client.HTTPConnection]] = {}
    while not any(len(conns) == 2 for conns in by_worker.values()):
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        assert _health(client).getheader("Connection") == "keep-alive"
        by_worker.setdefault(_owner(process.pid, port, client), []).append(client)
    busy = next(pid for pid, conns in by_worker.items() if len(conns) == 2)
    held, waiting = by_worker[busy]
    holder = _hold_a_thread(odoo, port, key, held)

    answers: list[http.client.HTTPResponse] = []
    queued = threading.Thread(target=lambda: answers.append(_health(waiting)), daemon=True)
    queued.start()  # its worker's only thread is held: this request waits for it
    _wait_for(port, "gateway_requests_waited_total", 1)
    others = [conn for pid, conns in by_worker.items() if pid != busy for conn in conns]
    for other in others:  # a caller of the free worker keeps its connection
        assert _health(other).getheader("Connection") == "keep-alive"
    assert not answers  # still waiting behind the hung call
    odoo.failure = None
    queued.join(timeout=60)
    assert answers and answers[0].status == 200
    # It waited for a thread: its next request goes on a new connection, to a free worker.
    assert answers[0].getheader("Connection") == "close"
    assert _counter(port, "gateway_callers_moved_total") >= 1
    holder.join(timeout=60)
    assert _health(waiting).status == 200  # http.client reconnects by itself
    for conns in by_worker.values():
        for conn in conns:
            conn.close()


def _counter(port: int, name: str) -> float:
    exposition = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in exposition.splitlines() if line.startswith(name))


def _wait_for(port: int, name: str, count: float) -> None:
    deadline = time.monotonic() + 30
    while _counter(port, name) < count:
        assert time.monotonic() < deadline, f"{name} never reached {count}"
        time.sleep(0.01)


def _counter_in_files(folder: Path, name: str) -> float:
    """A counter read from the workers' metrics files (/metrics needs a thread, and none is free)."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    return registry.get_sample_value(name) or 0.0


def test_a_single_worker_keeps_its_callers(odoo, tmp_path) -> None:
    """With one worker there is nowhere else to go: a caller that waited keeps its connection."""
    process, base = start_gunicorn({"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1",
                                    "ODOO_TIMEOUT_SECONDS": "60", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    try:
        wait_healthy(process, base)
        port = urlsplit(base).port
        key = _mint(odoo, port)
        held = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        _health(held)
        _health(waiting)
        holder = _hold_a_thread(odoo, port, key, held)
        answers: list[http.client.HTTPResponse] = []
        queued = threading.Thread(target=lambda: answers.append(_health(waiting)), daemon=True)
        queued.start()
        deadline = time.monotonic() + 30
        while _counter_in_files(tmp_path, "gateway_requests_waited_total") < 1:  # the thread was busy
            assert time.monotonic() < deadline, "the second request never waited for the thread"
            time.sleep(0.01)
        odoo.failure = None
        queued.join(timeout=60)
        holder.join(timeout=60)
        assert answers and answers[0].getheader("Connection") == "keep-alive"
        assert _counter(port, "gateway_callers_moved_total") == 0
        held.close()
        waiting.close()
    finally:
        odoo.failure = None
        stop_gunicorn(process)
