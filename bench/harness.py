"""Processes for benchmarks: the Odoo double in its own process, gunicorn, keys minted offline.

The double runs in a child process (not a thread of the client) so that its CPU does not
compete for the client's GIL; the client talks to it over XML-RPC and to a control pipe.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from app.core.access.keys import Credentials, KeyClaims, KeyRing

ROOT = Path(__file__).resolve().parent.parent
SECRET = Fernet.generate_key()


def _serve_double(control: Connection) -> None:
    """Child process: run the double and obey commands until told to stop."""
    from sandbox import OdooDouble

    double = OdooDouble().start()
    control.send(double.url)
    while True:
        command, *args = control.recv()
        if command == "stop":
            double.stop()
            control.send(None)
            return
        if command == "latency":
            double.latency = args[0]
        elif command == "api_keys":  # distinct valid passwords, hence distinct pool sessions
            for token in args[0]:
                double.add_api_key("demo", "admin", token)
        elif command == "clear":
            double.clear_calls()
        elif command == "reset":  # fresh seeded data: P5's 5,000 records would slow later runs
            double.reset()
        control.send(double.count(**args[0]) if command == "count" else None)


class RemoteDouble:
    """The double in a child process: ``url``, ``latency()``, ``count()``, ``clear()``."""

    def __init__(self) -> None:
        self._control, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve_double, args=(child,), daemon=True)
        self._process.start()
        self.url: str = self._control.recv()

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0)

    def ask(self, command: str, *args: Any) -> Any:
        self._control.send((command, *args))
        return self._control.recv()

    def latency(self, seconds: float) -> None:
        self.ask("latency", seconds)

    def count(self, **filters: str) -> int:
        return self.ask("count", filters)

    def clear(self) -> None:
        self.ask("clear")

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """The real service under gunicorn, configured through the environment like in production."""

    def __init__(self, root: Path = ROOT, log: Path | None = None, app: str = "wsgi:app",
                 **env: str) -> None:
        """gunicorn serving ``app`` from the checkout at ``root`` (another worktree, for a
        before/after run); its stdout goes to ``log`` when given (appended, as gunicorn's own
        lines are)."""
        self.port = free_port()
        full_env = {**os.environ, "ENCRYPTION_KEY": SECRET.decode(), "HOST": "127.0.0.1",
                    "PORT": str(self.port), "LOG_LEVEL": "INFO",
                    # Benchmarks measure the gateway's work, not its per-key rate limit.
                    "RATE_LIMIT": "100000000/minute", **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
            cwd=root, env=full_env, stdout=log.open("ab") if log else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        while len(self.workers()) < int(env.get("WEB_CONCURRENCY", "2")):
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            return Client(self.port).get("/health")[0] == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        """Pids of the master's children (its workers), from /proc."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def pids(self) -> list[int]:
        """The master and its workers: the gateway's CPU."""
        return [self.process.pid, *self.workers()]

    @contextmanager
    def callers_per_worker(self, after: float) -> Iterator[list[int]]:
        """The block's kept-alive callers per worker, counted ``after`` seconds into it (from
        /proc: which worker holds the server side of each connection to this port)."""
        counts: list[int] = []
        timer = threading.Timer(after, lambda: counts.extend(self._connections()))
        timer.start()
        try:
            yield counts
        finally:
            timer.cancel()
            timer.join()

    def _connections(self) -> list[int]:
        served = connections_to(self.port)
        return [sockets_held(pid, served) for pid in self.workers()]

    def rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB."""
        return [rss_mb(pid) for pid in self.workers()]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def connections_to(port: int, client_port: int | None = None) -> set[str]:
    """The server sides of the established TCP connections to ``port`` on 127.0.0.1 (only the one
    from ``client_port`` when given), named as /proc shows them among a process's open files."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        if local == port and fields[3] == "01" and client_port in (None, remote):  # 01: ESTABLISHED
            found.add(f"socket:[{fields[9]}]")
    return found


def sockets_held(pid: int, sockets: set[str]) -> int:
    """How many of ``sockets`` (from ``connections_to``) process ``pid`` has open."""
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            held += os.readlink(fd) in sockets
    return held


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Client:
    """A keep-alive HTTP client with almost no overhead (http.client), one per thread."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, response.read()

    def call(self, key: str, name: str, request_id: str | None = None,
             **arguments: Any) -> tuple[int, bytes]:
        body = json.dumps({"name": name, "arguments": arguments})
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        if request_id:
            headers["X-Request-ID"] = request_id
        try:
            self.connection.request("POST", "/tools/call", body, headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # gunicorn closed the idle keep-alive connection (e.g. while the direct calls ran):
            # the benchmark's calls are reads, so sending again on a new connection is safe.
            self.connection.close()
            self.connection.request("POST", "/tools/call", body, headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def mint(url: str, password: str, scope: str = "*:RWD", transport: str = "xmlrpc") -> str:
    """An API key sealed offline with the benchmark's secret, as /auth/generate would."""
    claims = KeyClaims.new(Credentials(url, "demo", "admin", password), scope, None, None,
                           transport=transport)
    return KeyRing((SECRET,)).seal(claims)


@contextmanager
def running(log: Path | None = None, **env: str) -> Iterator[tuple[RemoteDouble, Gunicorn]]:
    double = RemoteDouble()
    try:
        gunicorn = Gunicorn(log=log, **env)
        try:
            yield double, gunicorn
        finally:
            gunicorn.stop()
    finally:
        double.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
