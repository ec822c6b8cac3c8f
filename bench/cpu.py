"""CPU per call: the gateway against a bare ``xmlrpc.client`` doing the same call (issue 22).

One gunicorn worker (16 threads) serves ``POST /tools/call`` ``search_read`` of 10 records from
the Odoo double answering at once; a direct ``xmlrpc.client`` in this process makes the same
call. Each phase runs its calls from 8 threads and is charged the CPU its process spent (from
/proc for the worker and the double; ``time.process_time`` for the direct client, nothing else
running in this process meanwhile). Wall time on a shared machine moves with other load; CPU
per call barely does. Rounds are interleaved, and the medians are kept.
"""

from __future__ import annotations

import statistics
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

from bench.harness import ROOT, Client, Gunicorn, RemoteDouble, mint
from bench.meter import process_cpu_s

THREADS = 8


def _spread(calls: int, make: Callable[[], Callable[[], object]]) -> float:
    """Run ``calls`` calls over THREADS threads, each with its own caller from ``make``; seconds."""
    share = calls // THREADS
    ready = threading.Barrier(THREADS + 1)

    def worker() -> None:
        action = make()
        action()  # warm: connection open, key opened, session in the pool
        ready.wait()
        for _ in range(share):
            action()
        ready.wait()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    ready.wait()
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return elapsed


def _direct(url: str) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        kwargs = {"limit": 10, "offset": 0}
        return lambda: proxy.execute_kw("demo", 2, "admin", "res.partner", "search_read", [[]], kwargs)
    return make


def _gateway(port: int, key: str) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        http = Client(port)

        def call() -> None:
            status, body = http.call(key, "search_read", model="res.partner", limit=10)
            if status != 200:
                raise RuntimeError(f"gateway answered {status}: {body[:200]!r}")
        return call
    return make


def _health(port: int) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        http = Client(port)
        return lambda: http.get("/health")
    return make


def _phase(name: str, make: Callable[[], Callable[[], object]], calls: int, worker: int,
           double: int) -> dict:
    """CPU ms per call of the process doing the work, and of the double, for one phase."""
    before = (time.process_time(), process_cpu_s(worker), process_cpu_s(double))
    elapsed = _spread(calls, make)
    after = (time.process_time(), process_cpu_s(worker), process_cpu_s(double))
    own = (after[0] - before[0]) if name == "direct" else (after[1] - before[1])
    return {"cpu_ms": 1000 * own / calls, "double_cpu_ms": 1000 * (after[2] - before[2]) / calls,
            "wall_ms": 1000 * elapsed / calls}


def cpu_per_call(double: RemoteDouble, root: Path, rounds: int = 3, calls: int = 2000,
                 floors: bool = False, **env: str) -> dict:
    """Interleaved rounds of direct, gateway and bare /health calls; medians per phase
    (``env``: more settings for gunicorn, for trials). With ``floors``, the same bare request
    to a constant WSGI app and to a one-route Flask app (bench/floor_apps.py) under the same
    gunicorn settings: what a bare request costs before the gateway adds anything."""
    # /proc ticks are 10 ms: thousands of calls keep the rounding error under 1%.
    settings = {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "16", "MAX_LIMIT": "5000", **env}
    servers = {"gateway": Gunicorn(root, **settings)}
    try:
        if floors:
            for name, app in (("floor_wsgi", "bench.floor_apps:constant"),
                              ("floor_flask", "bench.floor_apps:flask")):
                servers[name] = Gunicorn(ROOT, app=app, **settings)
        key = mint(double.url, "admin")
        gateway = servers["gateway"]
        phases = {"direct": _direct(double.url), "gateway": _gateway(gateway.port, key),
                  "health": _health(gateway.port)}
        phases.update({name: _health(server.port) for name, server in servers.items()
                       if name.startswith("floor")})
        workers = {name: servers.get(name, gateway).workers()[0] for name in phases}
        seen: dict[str, list[dict]] = {name: [] for name in phases}
        for _ in range(rounds):
            for name, make in phases.items():
                seen[name].append(_phase(name, make, calls, workers[name], double.pid))
    finally:
        for server in servers.values():
            server.stop()
    report: dict = {"rounds": rounds, "calls_per_phase": calls, "client_threads": THREADS,
                    "gunicorn": "1 worker, 16 threads"}
    for name, results in seen.items():
        report[name] = {field: round(statistics.median(r[field] for r in results), 3)
                        for field in ("cpu_ms", "double_cpu_ms", "wall_ms")}
        report[name]["cpu_ms_rounds"] = [round(r["cpu_ms"], 3) for r in results]
    ratios = [g["cpu_ms"] / d["cpu_ms"] for g, d in zip(seen["gateway"], seen["direct"], strict=True)]
    report["ratio_gateway_to_direct"] = round(statistics.median(ratios), 2)
    report["ratio_rounds"] = [round(r, 2) for r in ratios]
    return report
