"""A real gunicorn: a hanging Odoo does not block other callers; SIGTERM drains in-flight calls."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from sandbox import OdooDouble
from tests.test_gunicorn import start_gunicorn, wait_healthy

SEARCH = {"name": "search_read", "arguments": {"model": "res.partner", "limit": 2}}


@pytest.fixture
def stuck() -> Iterator[OdooDouble]:
    """A second Odoo, to hang while the first one keeps answering."""
    double = OdooDouble().start()
    yield double
    double.stop()


def mint(base: str, url: str) -> dict[str, str]:
    response = requests.post(base + "/auth/generate", timeout=10, json={
        "url": url, "database": "demo", "username": "admin", "password": "admin", "scope": "*:R"})
    assert response.status_code == 200, response.text
    return {"X-API-Key": response.json()["api_key"]}


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def in_background(base: str, headers: dict[str, str]) -> tuple[threading.Thread, dict]:
    """Start one call in a thread; its response and duration land in the returned dict."""
    outcome: dict = {}

    def run() -> None:
        started = time.monotonic()
        outcome["response"] = requests.post(base + "/tools/call", json=SEARCH, headers=headers,
                                            timeout=30)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def stop(process) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


def test_a_hanging_odoo_does_not_block_other_callers(odoo, stuck) -> None:
    # One worker with 4 threads: the hung call holds one thread, the others must keep serving.
    process, base = start_gunicorn({"WEB_CONCURRENCY": "1", "ODOO_TIMEOUT_SECONDS": "1.5"})
    try:
        wait_healthy(process, base)
        healthy, hanging = mint(base, odoo.url), mint(base, stuck.url)
        stuck.failure = "hang"
        stuck.clear_calls()
        thread, outcome = in_background(base, hanging)
        wait_for(lambda: stuck.posts == 1, "the call to reach the hanging Odoo")
        with requests.Session() as http:
            served = [http.post(base + "/tools/call", json=SEARCH, headers=healthy, timeout=10)
                      for _ in range(5)]
        still_hanging = thread.is_alive()
        thread.join()
    finally:
        stuck.failure = None
        stop(process)
    assert [r.status_code for r in served] == [200] * 5
    assert still_hanging  # the others were answered while the hung call was still waiting
    assert outcome["response"].status_code == 504
    assert outcome["response"].json()["status"] == "odoo_timeout"
    assert outcome["seconds"] < 1.5 + 1  # the bound: ODOO_TIMEOUT_SECONDS + 1 s


def test_sigterm_lets_the_call_in_flight_finish_and_refuses_new_ones(odoo) -> None:
    process, base = start_gunicorn({"WEB_CONCURRENCY": "1"})
    try:
        wait_healthy(process, base)
        headers = mint(base, odoo.url)
        odoo.latency = 1.5
        odoo.clear_calls()
        thread, outcome = in_background(base, headers)
        wait_for(lambda: odoo.posts == 1, "the call to reach Odoo")
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # let the master and the worker close their listening sockets
        assert thread.is_alive()
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/health", timeout=2)
        thread.join()
        code = process.wait(timeout=30)
    finally:
        stop(process)
    assert outcome["response"].status_code == 200
    assert outcome["response"].json()["result"]["count"] == 2
    assert code == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=2)
