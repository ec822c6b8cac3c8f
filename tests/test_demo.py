"""`make demo`'s runner: sandbox + gunicorn, a ready key and curl line, a clean stop on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from tests.test_gunicorn import ROOT, free_port


def read_until(process: subprocess.Popen, marker: str, seconds: float = 30) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while marker not in seen:
        assert time.monotonic() < deadline, seen
        line = process.stdout.readline()
        assert line or process.poll() is None, seen
        seen += line
    return seen


def test_demo_prints_a_working_key_and_stops_cleanly_on_ctrl_c() -> None:
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "SANDBOX_PORT": str(sandbox_port)}
    env.pop("ENCRYPTION_KEY", None)  # the demo makes its own
    process = subprocess.Popen([sys.executable, "-m", "sandbox.demo"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = read_until(process, "Press Ctrl-C to stop.")
        key = re.search(r"X-API-Key: (gAAAA[\w=-]+)", banner).group(1)
        assert f"http://127.0.0.1:{port}/tools/call" in banner
        answer = requests.post(f"http://127.0.0.1:{port}/tools/call", headers={"X-API-Key": key},
                               json={"name": "search_read", "arguments": {
                                   "model": "res.partner", "fields": ["name"], "limit": 5}},
                               timeout=10)
        assert answer.status_code == 200 and answer.json()["result"]["count"] == 5
        assert re.search(r"subscription sub_\w+ delivers contact changes", banner)
        made = requests.post(f"http://127.0.0.1:{port}/tools/call", headers={"X-API-Key": key}, timeout=10,
                             json={"name": "create", "arguments": {"model": "res.partner",
                                                                   "values": {"name": "Hook Demo"}}})
        assert made.status_code == 200
        read_until(process, f"created res.partner {made.json()['result']['id']} 'Hook Demo'")  # a webhook
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
        assert process.returncode == 0
        assert "Stopped the gateway and the Odoo sandbox." in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    with requests.Session() as http:
        try:
            http.get(f"http://127.0.0.1:{port}/health", timeout=2)
            still_up = True
        except requests.ConnectionError:
            still_up = False
    assert not still_up
