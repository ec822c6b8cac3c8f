"""A real multi-replica deployment on loopback: Redis, N gunicorn replicas, nginx round-robin.

Used by tests/test_scale_out.py and bench/scale_out.py::

    with Cluster(tmp_dir, odoo_url, replicas=2) as cluster:
        requests.get(cluster.url + "/health")        # through nginx
        cluster.replicas[0].url                        # one replica, directly
        cluster.replicas[0].kill(signal.SIGKILL)       # the whole process group

Every process is started here and stopped on exit; nothing binds outside 127.0.0.1. The Redis
server keeps nothing on disk (``--save "" --appendonly no``) and lives in the temp dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_HEADER = "X-Upstream"  # nginx adds the replica's address that answered


def missing_binaries() -> list[str]:
    """The cluster's non-Python binaries that are not on PATH."""
    return [name for name in ("redis-server", "nginx") if not _which(name)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _which(name: str) -> str | None:
    # nginx lives in /usr/sbin, which is not on every user's PATH.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")


def wait_until(check: Callable[[], bool], what: str, process: subprocess.Popen,
               seconds: float = 20.0) -> None:
    """Poll ``check`` until true; RuntimeError if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {seconds} s")


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _http_ok(port: int, path: str) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        return s.recv(16).startswith(b"HTTP/1.1 200")


class Redis:
    """A throw-away redis-server on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / "redis.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [_which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"],
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: self.command("PING") == "+PONG", "redis-server", self.process)

    def command(self, *words: str) -> str:
        """Send one command (RESP) and return the first line of the answer."""
        payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload.encode())
            return s.makefile("rb").readline().decode().rstrip("\r\n")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self._log_file.close()


class Replica:
    """One gunicorn replica (master plus workers, in their own process group)."""

    def __init__(self, name: str, env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def start(self) -> Replica:
        self._log_file = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
             "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_until(lambda: _http_ok(self.port, "/health"), f"replica {self.name}", self.process)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, signum: int = signal.SIGTERM) -> None:
        """Signal the replica: SIGTERM to the master (graceful), SIGKILL to the whole group."""
        if not self.running:
            return
        if signum == signal.SIGKILL:
            os.killpg(self.process.pid, signal.SIGKILL)  # workers die with the master, at once
        else:
            self.process.send_signal(signum)

    def wait(self, seconds: float = 30.0) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=seconds)
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return code

    def stop(self) -> None:
        if self.running:
            self.kill(signal.SIGTERM)
            try:
                self.wait(30)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
        if self.process is not None:
            self.wait(10)


DEPLOY_NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def nginx_conf(prefix: Path, port: int, servers: list[str], workers: int) -> str:
    """deploy/nginx.conf, the documented one, made to run here: paths, port, upstreams, header."""
    # As root, nginx workers would switch to "nobody", who cannot enter a private temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {kind}_temp_path {prefix}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    upstream = "".join(f"        server {server};\n" for server in servers)
    header = f"add_header {UPSTREAM_HEADER} $upstream_addr always;"
    edits = [
        ("worker_processes auto;", f"daemon off;\npid {prefix}/nginx.pid;\n{user}"
                                   f"error_log {prefix}/error.log warn;\nworker_processes {workers};"),
        ("http {\n", "http {\n" + temp),
        ("        server gateway-replica:3000 max_fails=1 fail_timeout=10s;\n", upstream),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("proxy_pass http://gateway;", f"proxy_pass http://gateway;\n            {header}"),
        ("default_type application/json;", f"default_type application/json;\n            {header}"),
    ]
    conf = DEPLOY_NGINX_CONF.read_text()
    for old, new in edits:
        assert conf.count(old) == 1, f"deploy/nginx.conf changed shape: {old!r}"
        conf = conf.replace(old, new)
    return conf


class Nginx:
    """nginx in the foreground with a generated config, round-robin over the replicas."""

    def __init__(self, workdir: Path, workers: int = 1) -> None:
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(exist_ok=True)
        self.conf = self.prefix / "nginx.conf"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def write(self, replicas: list[Replica], down: tuple[str, ...] = ()) -> None:
        """Write the config; ``down`` names replicas taken out of rotation."""
        servers = [f"{r.address} max_fails=1 fail_timeout=10s{' down' if r.name in down else ''}"
                   for r in replicas]
        self.conf.write_text(nginx_conf(self.prefix, self.port, servers, self.workers))

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            [_which("nginx") or "nginx", "-c", str(self.conf), "-p", str(self.prefix),
             "-e", str(self.prefix / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: _http_ok(self.port, "/"), "nginx", self.process)
        return self

    def reload(self, replicas: list[Replica], down: tuple[str, ...] = ()) -> None:
        """Rewrite the config and reload it; returns once only new workers are left."""
        assert self.process is not None
        old = self.workers_pids()
        self.write(replicas, down)
        self.process.send_signal(signal.SIGHUP)
        # Old workers stop accepting at once and exit when their calls are answered.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = self.workers_pids()
            if now and not now & old:
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not finish reloading within 20 s")

    def workers_pids(self) -> set[int]:
        """The master's children (Linux): its worker processes."""
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(child) for child in children}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Cluster:
    """Redis, ``replicas`` gunicorn replicas sharing it and the encryption keys, nginx in front."""

    def __init__(self, workdir: Path, odoo_url: str, encryption_keys: str, replicas: int = 2,
                 workers: int = 1, threads: int = 4, env: Mapping[str, str] | None = None,
                 nginx_workers: int = 1) -> None:
        self.workdir = workdir
        self.odoo_url = odoo_url
        self.redis = Redis(workdir)
        common = {
            **os.environ, "ENCRYPTION_KEYS": encryption_keys, "REDIS_URL": self.redis.url,
            "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads),
            "ODOO_TIMEOUT_SECONDS": "10", "LOG_LEVEL": "WARNING",
            # nginx is the one proxy hop; minting through it comes from one address.
            "TRUSTED_PROXIES": "1", "GENERATE_RATE_LIMIT": "1000/minute",
            **(env or {}),
        }
        common.pop("ENCRYPTION_KEY", None)
        self.replicas = [Replica(f"replica{i + 1}", common, workdir) for i in range(replicas)]
        self.nginx = Nginx(workdir, nginx_workers)

    def start(self) -> Cluster:
        try:
            for replica in self.replicas:
                replica.start()
            self.nginx.write(self.replicas)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def url(self) -> str:
        return self.nginx.url

    def replica_at(self, address: str) -> Replica:
        """The replica that nginx names in its upstream header."""
        return next(r for r in self.replicas if r.address == address)

    def logs(self) -> str:
        """Every process's log, for an assertion message."""
        parts = [f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                 for p in sorted(self.workdir.rglob("*.log"))]
        return "\n".join(parts)

    def stop(self) -> None:
        self.nginx.stop()
        for replica in self.replicas:
            replica.stop()
        self.redis.stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Load:
    """``threads`` clients calling ``send(session)`` in a loop until stopped; records each answer."""

    def __init__(self, send, threads: int = 16) -> None:
        self.send = send
        self.results: list[tuple[float, float, int, str]] = []  # start, end, status, upstream
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with requests.Session() as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = self.send(http)
                    status, upstream = response.status_code, response.headers.get(UPSTREAM_HEADER, "")
                except requests.RequestException as error:
                    status, upstream = 0, f"{type(error).__name__}: {error}"
                with self._lock:
                    self.results.append((started, time.monotonic(), status, upstream))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
