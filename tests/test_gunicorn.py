"""Smoke test: the real service under gunicorn, over real HTTP, against the Odoo double."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import SECRET, WEBHOOK_DIR

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env_extra: dict[str, str], config: str = "gunicorn.conf.py",
                   ) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ENCRYPTION_KEY": SECRET.decode(), "HOST": "127.0.0.1",
           "PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4",
           # webhook subscriptions of this server only, not the host's default file
           "WEBHOOK_DB": os.path.join(WEBHOOK_DIR.name, f"gunicorn-{port}.sqlite3"), **env_extra}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", config, "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not become healthy")


def stop_gunicorn(process: subprocess.Popen, timeout: float = 30) -> str:
    """SIGTERM, then wait at most ``timeout`` seconds; gunicorn's output, read to the end.

    The responses a test dropped can still hold kept-alive connections (requests' objects sit in
    reference cycles until a garbage collection), and a stopping worker keeps each such connection
    open for 2 s (gunicorn's STOP_KEEPALIVE_LINGER): they are collected first.
    """
    gc.collect()
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()  # reaped: a Popen collected while running is a ResourceWarning
        raise AssertionError(f"gunicorn still running {timeout} s after SIGTERM") from None
    return output or ""


@contextmanager
def serving(env_extra: dict[str, str]) -> Iterator[str]:
    """A healthy gunicorn with ``env_extra`` for the block; its base URL; killed afterwards."""
    process, base = start_gunicorn(env_extra)
    try:
        wait_healthy(process, base)
        yield base
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def gateway(odoo) -> Iterator[tuple[str, subprocess.Popen]]:
    process, base = start_gunicorn({})
    try:
        wait_healthy(process, base)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_gunicorn_serves_the_contract(odoo, gateway) -> None:
    base, _ = gateway
    assert requests.get(base + "/", timeout=10).json()["status"] == "running"
    minted = requests.post(base + "/auth/generate", json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": "admin",
        "scope": "res.partner:RW,*:R"}, timeout=10)
    assert minted.status_code == 200
    headers = {"X-API-Key": minted.json()["api_key"]}
    with requests.Session() as http:
        for _ in range(10):  # spread over both workers through keep-alive and new connections
            found = http.post(base + "/tools/call", headers=headers, timeout=10, json={
                "name": "search_read", "arguments": {"model": "res.partner", "limit": 3}})
            assert found.status_code == 200 and found.json()["result"]["count"] == 3
    denied = requests.post(base + "/tools/call", headers=headers, timeout=10, json={
        "name": "unlink", "arguments": {"model": "res.partner", "ids": [1]}})
    assert denied.status_code == 403 and denied.json()["status"] == "permission_denied"
    missing = requests.get(base + "/nope", timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/json"


def test_sigterm_stops_gracefully(gateway) -> None:
    base, process = gateway
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_a_stop_while_the_workers_boot_is_not_lost() -> None:
    """A worker signalled before it has its own handlers (on a busy machine it may get its first
    CPU time only after the master, asked to stop, signalled it) stops as soon as it has booted;
    it used to serve on until the master killed it after the 35 s graceful timeout."""
    process, _ = start_gunicorn({}, config="tests/gunicorn_late_boot.conf.py")
    try:
        booting = 0
        for line in process.stdout:  # the workers wait in post_fork until a signal reaches them
            booting += "Booting worker" in line
            if booting == 2:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_bad_configuration_stops_the_start_naming_the_variable() -> None:
    process, _ = start_gunicorn({"POOL_MAX_SIZE": "many"})
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "POOL_MAX_SIZE" in output
    assert SECRET.decode() not in output


def test_missing_encryption_key_stops_the_start() -> None:
    process, _ = start_gunicorn({"ENCRYPTION_KEY": ""})
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0 and "ENCRYPTION_KEY" in output
