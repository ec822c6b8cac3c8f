"""Benchmarks, each a ratio measured side by side in one run: ``python -m bench.run``.

P1 overhead, P2 concurrency, P3 authentications, P4 memory, P5 large answers; prints a table and
writes bench/results/latest.json.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

from bench.harness import Client, Gunicorn, RemoteDouble, mint

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
    return {"rps": round(rate, 1), "errors": len(errors)}


def p2_concurrency(double: RemoteDouble, gunicorn: Gunicorn, one_key: str, many_keys: list[str]) -> dict:
    latency, callers = 0.05, 32
    ideal = callers / latency
    for key in [one_key, *many_keys]:  # authenticate every key first: this measures the calls
        ok(Client(gunicorn.port).call(key, "search_count", model="res.partner"))
    double.latency(latency)
    try:
        one = concurrent(gunicorn.port, [one_key], callers, 5.0)
        many = concurrent(gunicorn.port, many_keys, callers, 5.0)
    finally:
        double.latency(0.0)
    return {"callers": callers, "odoo_latency_s": latency, "ideal_rps": ideal,
            "one_key": {**one, "ratio_to_ideal": round(one["rps"] / ideal, 2)},
            "32_keys": {**many, "ratio_to_ideal": round(many["rps"] / ideal, 2)}}


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


def p5_large(double: RemoteDouble, gunicorn: Gunicorn, key: str, records: int = 5000) -> dict:
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
    timings = {"direct": [], "gateway": []}
    for _ in range(7):
        timings["direct"] += timed(lambda: direct.execute_kw(
            "demo", uid, "admin", "res.partner", "search_read", [[]], kwargs), 1)
        timings["gateway"] += timed(lambda: ok(http.call(
            key, "search_read", model="res.partner", fields=FIELDS, limit=records)), 1)
    http.close()
    direct("close")()
    direct_ms = statistics.median(timings["direct"]) * 1000
    gateway_ms = statistics.median(timings["gateway"]) * 1000
    return {"records": records, "fields": len(FIELDS), "direct_ms": round(direct_ms, 1),
            "gateway_ms": round(gateway_ms, 1), "ratio": round(gateway_ms / direct_ms, 2)}


def main() -> int:
    env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "16", "MAX_LIMIT": "5000",
           "POOL_MAX_SIZE": "1000"}
    p4_calls, p4_keys = 30_000, 10_000
    double = RemoteDouble()
    try:
        gunicorn = Gunicorn(**env)
        try:
            key = mint(double.url, "admin")
            many = [mint(double.url, "admin") for _ in range(32)]
            report = {"gunicorn": env, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
            report["P1_overhead"] = p1_overhead(double, gunicorn, key)
            report["P2_concurrency"] = p2_concurrency(double, gunicorn, key, many)
            double.ask("api_keys", ["p3-token"])  # credentials no earlier call has authenticated
            report["P3_authentication"] = p3_authentication(double, gunicorn, mint(double.url, "p3-token"))
            report["P5_large_answers"] = p5_large(double, gunicorn, key)
            report["P4_memory"] = p4_memory(double, gunicorn, p4_calls, p4_keys)
        finally:
            gunicorn.stop()
    finally:
        double.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten to {RESULTS / 'latest.json'}")
    return 0


def table(report: dict) -> str:
    p1, p2, p3, p4, p5 = (report[k] for k in ("P1_overhead", "P2_concurrency", "P3_authentication",
                                              "P4_memory", "P5_large_answers"))
    rows = [
        ("P1 direct XML-RPC search_read(10)", f"{p1['direct_per_s']}/s", f"p50 {p1['p50_ms']['direct']} ms"),
        ("P1 gateway search_read(10)", f"{p1['gateway_per_s']}/s", f"p50 {p1['p50_ms']['gateway']} ms"),
        ("P1 bare GET /health (gunicorn+Flask)", f"{p1['health_per_s']}/s",
         f"p50 {p1['p50_ms']['health']} ms"),
        ("P1 added p50 (gateway - direct)", f"{p1['added_p50_ms']} ms",
         f"ratio {p1['ratio_gateway_to_direct']}; minus bare HTTP {p1['added_beyond_bare_http_p50_ms']} ms"),
        ("P2 32 callers, 1 key, 50 ms Odoo", f"{p2['one_key']['rps']}/s",
         f"{p2['one_key']['ratio_to_ideal']} of {p2['ideal_rps']:.0f}"),
        ("P2 32 callers, 32 keys, 50 ms Odoo", f"{p2['32_keys']['rps']}/s",
         f"{p2['32_keys']['ratio_to_ideal']} of {p2['ideal_rps']:.0f}"),
        ("P3 authenticate per key, 1000 calls", str(p3["authenticate_calls"]),
         f"{p3['authenticate_per_worker']} per worker ({p3['workers']} workers)"),
        (f"P4 RSS/worker, {p4['calls']} calls, {p4['distinct_keys']} keys",
         f"{p4['worker_rss_mb_start']} MB", f"-> {p4['worker_rss_mb_end']} MB"),
        (f"P5 search_read {p5['records']} x {p5['fields']} fields", f"{p5['gateway_ms']} ms",
         f"direct {p5['direct_ms']} ms, ratio {p5['ratio']}"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:>22}  {c}" for a, b, c in rows)


if __name__ == "__main__":
    raise SystemExit(main())
