"""Benchmarks, each a ratio measured side by side in one run: ``python -m bench.run [--baseline DIR]``.

CPU per call (gateway, direct ``xmlrpc.client`` and a bare ``GET /health``, see bench/cpu.py),
P1 overhead, P2 concurrency (with CPU ms per request of gateway, client and double, and the
machine's busy %), P3 authentications, P4 memory, P5 large answers (xmlrpc and jsonrpc keys
against a direct ``xmlrpc.client``); prints a table and writes bench/results/latest.json.
``--baseline DIR`` runs the same P1-P3 and P5 against the checkout in DIR (e.g. a worktree of
main) in the same run, on the same double, and prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

from bench.cpu import cpu_per_call
from bench.harness import ROOT, Client, Gunicorn, RemoteDouble, mint
from bench.meter import Meter
from bench.report import table

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = ["name", "email", "phone", "is_company", "type", "lang", "color", "function", "city", "active"]


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def ok(answer: tuple[int, bytes]) -> None:
    if answer[0] != 200:
        raise RuntimeError(f"gateway answered {answer[0]}: {answer[1][:200]!r}")


def p1_overhead(double: RemoteDouble, gunicorn: Gunicorn, key: str, n: int = 3000) -> dict:
    direct = xmlrpc.client.ServerProxy(f"{double.url}/xmlrpc/2/object", allow_none=True)
    uid = xmlrpc.client.ServerProxy(f"{double.url}/xmlrpc/2/common").authenticate(
        "demo", "admin", "admin", {})
    http = Client(gunicorn.port)
    kwargs = {"limit": 10, "offset": 0}
    results = {}
    for _ in range(2):  # the second round is the one kept: connections and caches are warm
        results = {
            "direct": timed(lambda: direct.execute_kw(
                "demo", uid, "admin", "res.partner", "search_read", [[]], kwargs), n),
            "gateway": timed(lambda: ok(http.call(key, "search_read", model="res.partner", limit=10)), n),
            "health": timed(lambda: ok(http.get("/health")), n),
        }
    http.close()
    direct("close")()
    p50 = {name: statistics.median(values) * 1000 for name, values in results.items()}
    return {
        "calls": n, "direct_per_s": round(n / sum(results["direct"])),
        "gateway_per_s": round(n / sum(results["gateway"])),
        "health_per_s": round(n / sum(results["health"])),
        "ratio_gateway_to_direct": round(sum(results["gateway"]) / sum(results["direct"]), 2),
        "p50_ms": {name: round(value, 3) for name, value in p50.items()},
        "added_p50_ms": round(p50["gateway"] - p50["direct"], 3),
        "added_beyond_bare_http_p50_ms": round(p50["gateway"] - p50["direct"] - p50["health"], 3),
    }


def concurrent(port: int, keys: list[str], callers: int, seconds: float) -> dict:
    """``callers`` threads calling as fast as they can for ``seconds``."""
    done = []
    errors = []
    stop = time.perf_counter() + seconds

    def caller(number: int) -> None:
        http = Client(port)
        count = 0
        while time.perf_counter() < stop:
            status, _ = http.call(keys[number % len(keys)], "search_count", model="res.partner")
            count += 1
            if status != 200:
                errors.append(status)
        http.close()
        done.append(count)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(done) / (time.perf_counter() - started)
    return {"rps": round(rate, 1), "errors": len(errors), "requests": sum(done)}


def p2_concurrency(double: RemoteDouble, gunicorn: Gunicorn, one_key: str, many_keys: list[str]) -> dict:
    latency, callers = 0.05, 32
    ideal = callers / latency
    for key in [one_key, *many_keys]:  # authenticate every key first: this measures the calls
        ok(Client(gunicorn.port).call(key, "search_count", model="res.partner"))
    double.latency(latency)
    groups = {"gateway": gunicorn.pids(), "client": [os.getpid()], "double": [double.pid]}
    try:
        meter = Meter(groups).start()
        with gunicorn.callers_per_worker(after=2.5) as spread:
            one = concurrent(gunicorn.port, [one_key], callers, 5.0)
        one.update(meter.stop(one["requests"]), callers_per_worker=spread)
        meter = Meter(groups).start()
        with gunicorn.callers_per_worker(after=2.5) as spread:
            many = concurrent(gunicorn.port, many_keys, callers, 5.0)
        many.update(meter.stop(many["requests"]), callers_per_worker=spread)
        meter = Meter(groups).start()
        direct = concurrent_direct(double.url, callers, 5.0)
        direct.update(meter.stop(direct["requests"]))
    finally:
        double.latency(0.0)
    return {"callers": callers, "odoo_latency_s": latency, "ideal_rps": ideal,
            "one_key": {**one, "ratio_to_ideal": round(one["rps"] / ideal, 2)},
            "32_keys": {**many, "ratio_to_ideal": round(many["rps"] / ideal, 2)},
            "direct_xmlrpc": {**direct, "ratio_to_ideal": round(direct["rps"] / ideal, 2)}}


def concurrent_direct(url: str, callers: int, seconds: float) -> dict:
    """The reference: ``callers`` threads calling the double straight with ``xmlrpc.client``."""
    done: list[int] = []
    stop = time.perf_counter() + seconds

    def caller() -> None:
        proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        count = 0
        while time.perf_counter() < stop:
            proxy.execute_kw("demo", 2, "admin", "res.partner", "search_count", [[]], {})
            count += 1
        proxy("close")()
        done.append(count)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rps": round(sum(done) / (time.perf_counter() - started), 1), "errors": 0,
            "requests": sum(done)}


def p3_authentication(double: RemoteDouble, gunicorn: Gunicorn, key: str, n: int = 1000) -> dict:
    double.clear()
    http = Client(gunicorn.port)
    for _ in range(n):
        ok(http.call(key, "search_count", model="res.partner"))
    http.close()
    workers = len(gunicorn.workers())
    seen = double.count(method="authenticate")
    return {"calls": n, "workers": workers, "authenticate_calls": seen,
            "authenticate_per_worker": round(seen / workers, 2)}


def p4_memory(double: RemoteDouble, gunicorn: Gunicorn, calls: int, distinct: int) -> dict:
    tokens = [f"bench-token-{n}" for n in range(distinct)]
    double.ask("api_keys", tokens)
    keys = [mint(double.url, token, "*:R") for token in tokens]
    start = gunicorn.rss_mb()
    order = [keys[n % distinct] for n in range(calls)]
    random.Random(4).shuffle(order)
    lock = threading.Lock()
    work = iter(order)
    failures = []

    def caller() -> None:
        http = Client(gunicorn.port)
        while True:
            with lock:
                key = next(work, None)
            if key is None:
                break
            status, _ = http.call(key, "search_count", model="res.partner")
            if status != 200:
                failures.append(status)
        http.close()

    threads = [threading.Thread(target=caller) for _ in range(16)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"calls": calls, "distinct_keys": distinct, "errors": len(failures),
            "seconds": round(time.perf_counter() - started, 1),
            "worker_rss_mb_start": [round(m, 1) for m in start],
            "worker_rss_mb_end": [round(m, 1) for m in gunicorn.rss_mb()]}


def p5_large(double: RemoteDouble, gunicorn: Gunicorn, keys: dict[str, str], records: int = 5000) -> dict:
    """``search_read`` of ``records`` x 10 fields: direct xmlrpc.client, and the gateway per key."""
    common = xmlrpc.client.ServerProxy(f"{double.url}/xmlrpc/2/common")
    uid = common.authenticate("demo", "admin", "admin", {})
    common("close")()
    direct = xmlrpc.client.ServerProxy(f"{double.url}/xmlrpc/2/object", allow_none=True)
    present = direct.execute_kw("demo", uid, "admin", "res.partner", "search_count", [[]], {})
    for start in range(present, records, 1000):
        batch = [{"name": f"Bench {n}", "email": f"b{n}@example.com", "city": "Ghent",
                  "function": "Buyer", "phone": "+32 9 000 00 00"}
                 for n in range(start, min(start + 1000, records))]
        direct.execute_kw("demo", uid, "admin", "res.partner", "create", [batch], {})
    http = Client(gunicorn.port)
    kwargs = {"fields": FIELDS, "limit": records, "offset": 0}
    timings: dict[str, list[float]] = {"direct": [], **{name: [] for name in keys}}
    for _ in range(7):  # interleaved, so that a burst of other load hits every variant alike
        timings["direct"] += timed(lambda: direct.execute_kw(
            "demo", uid, "admin", "res.partner", "search_read", [[]], kwargs), 1)
        for name, key in keys.items():
            timings[name] += timed(lambda key=key: ok(http.call(
                key, "search_read", model="res.partner", fields=FIELDS, limit=records)), 1)
    http.close()
    direct("close")()
    ms = {name: round(statistics.median(values) * 1000, 1) for name, values in timings.items()}
    return {"records": records, "fields": len(FIELDS), "direct_ms": ms["direct"],
            **{f"{name}_ms": ms[name] for name in keys},
            **{f"{name}_ratio": round(ms[name] / ms["direct"], 2) for name in keys}}


def measure(double: RemoteDouble, root: Path, full: bool) -> dict:
    """P1, P2, P3 and P5 (and P4 when ``full``) against gunicorn serving the checkout at ``root``."""
    env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "16", "MAX_LIMIT": "5000",
           "POOL_MAX_SIZE": "1000"}
    double.ask("reset")  # each checkout meets the same seeded double
    # Its own gunicorn (1 worker), before P5 grows the table; the floors once, for this checkout.
    cpu = cpu_per_call(double, root, floors=root == ROOT)
    gunicorn = Gunicorn(root, **env)
    try:
        key = mint(double.url, "admin")
        many = [mint(double.url, "admin") for _ in range(32)]
        report: dict = {"tree": str(root), "gunicorn": env, "CPU_per_call": cpu}
        report["P1_overhead"] = p1_overhead(double, gunicorn, key)
        report["P2_concurrency"] = p2_concurrency(double, gunicorn, key, many)
        token = f"p3-token-{os.urandom(4).hex()}"  # credentials no earlier call has authenticated
        double.ask("api_keys", [token])
        report["P3_authentication"] = p3_authentication(double, gunicorn, mint(double.url, token))
        keys = {"xmlrpc": key}
        if (root / "app" / "odoo" / "jsonrpc.py").exists():
            keys["jsonrpc"] = mint(double.url, "admin", transport="jsonrpc")
        report["P5_large_answers"] = p5_large(double, gunicorn, keys)
        if full:
            report["P4_memory"] = p4_memory(double, gunicorn, 30_000, 10_000)
        return report
    finally:
        gunicorn.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure side by side")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU per call table (bench/cpu.py), ~1 min")
    parser.add_argument("--no-p4", action="store_true", help="skip the memory benchmark (~2 min)")
    args = parser.parse_args(argv)
    double = RemoteDouble()
    if args.cpu_only:
        return _cpu_only(double, args.baseline)
    try:
        report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count(),
                  "load_average_before": os.getloadavg()[0]}
        if args.baseline:
            report["before"] = measure(double, args.baseline.resolve(), full=False)
        report["after"] = measure(double, ROOT, full=not args.no_p4)
    finally:
        double.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten to {RESULTS / 'latest.json'}")
    return 0


def _cpu_only(double: RemoteDouble, baseline: Path | None) -> int:
    """The CPU per call rows alone (before and after when a baseline is given): for quick trials."""
    try:
        report: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count(),
                        "load_average_before": os.getloadavg()[0]}
        trees = ([("before", baseline.resolve())] if baseline else []) + [("after", ROOT)]
        for name, root in trees:
            report[name] = {"tree": str(root),
                            "CPU_per_call": cpu_per_call(double, root, floors=root == ROOT)}
    finally:
        double.stop()
    print(table(report, rows=5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
