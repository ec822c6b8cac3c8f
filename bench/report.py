"""The table ``make bench`` prints: one row per figure, a column per measured checkout."""

from __future__ import annotations

from collections.abc import Callable


def _p2(part: str) -> Callable[[dict], str]:
    def cell(r: dict) -> str:
        p = r["P2_concurrency"][part]
        spread = f"; callers per worker {p['callers_per_worker']}" if "callers_per_worker" in p else ""
        return (f"{p['rps']}/s = {p['ratio_to_ideal']} of ideal{spread}; busy {p['machine_busy_pct']}%; "
                f"CPU ms/req gw {p['gateway_cpu_ms_per_request']} cl {p['client_cpu_ms_per_request']} "
                f"dbl {p['double_cpu_ms_per_request']}")
    return cell


def _p5(r: dict) -> str:
    p = r["P5_large_answers"]
    cells = [f"direct {p['direct_ms']} ms", f"xmlrpc key {p['xmlrpc_ms']} ms ({p['xmlrpc_ratio']}x)"]
    if "jsonrpc_ms" in p:
        cells.append(f"jsonrpc key {p['jsonrpc_ms']} ms ({p['jsonrpc_ratio']}x)")
    return "; ".join(cells)


def _p4(r: dict) -> str:
    p = r.get("P4_memory")
    if p is None:
        return "-"
    return (f"{p['calls']} calls, {p['distinct_keys']} keys: {p['worker_rss_mb_start']} -> "
            f"{p['worker_rss_mb_end']} MB")


def _cpu(phase: str) -> Callable[[dict], str]:
    def cell(r: dict) -> str:
        p = r["CPU_per_call"]
        if phase not in p:
            return "-"
        c = p[phase]
        ratio = f" = {p['ratio_gateway_to_direct']}x direct (rounds {p['ratio_rounds']})" \
            if phase == "gateway" else ""
        return (f"{c['cpu_ms']} ms CPU{ratio}; rounds {c['cpu_ms_rounds']}; double {c['double_cpu_ms']} ms;"
                f" wall {c['wall_ms']} ms")
    return cell


ROWS: list[tuple[str, Callable[[dict], str]]] = [
    ("CPU/call direct xmlrpc.client search_read(10)", _cpu("direct")),
    ("CPU/call gateway search_read(10) (target <= 2.5x)", _cpu("gateway")),
    ("CPU/call gateway bare GET /health (target <= 0.35)", _cpu("health")),
    ("CPU/call floor: constant WSGI app, same gunicorn", _cpu("floor_wsgi")),
    ("CPU/call floor: one-route Flask app, same gunicorn", _cpu("floor_flask")),
    ("P1 direct XML-RPC search_read(10) p50", lambda r: f"{r['P1_overhead']['p50_ms']['direct']} ms"),
    ("P1 gateway search_read(10) p50", lambda r: f"{r['P1_overhead']['p50_ms']['gateway']} ms"),
    ("P1 bare GET /health p50", lambda r: f"{r['P1_overhead']['p50_ms']['health']} ms"),
    ("P1 added p50 (target <= 1.2 ms)", lambda r: f"{r['P1_overhead']['added_p50_ms']} ms"),
    ("P2 32 callers, 1 key (target >= 0.85)", _p2("one_key")),
    ("P2 32 callers, 32 keys (target >= 0.85)", _p2("32_keys")),
    ("P2 reference: 32 direct xmlrpc.client", _p2("direct_xmlrpc")),
    ("P3 authenticate calls, 1000 calls, 1 key",
     lambda r: f"{r['P3_authentication']['authenticate_calls']} "
               f"({r['P3_authentication']['authenticate_per_worker']} per worker)"),
    ("P5 search_read 5000 x 10 (jsonrpc target <= 0.6x)", _p5),
    ("P4 worker RSS", _p4),
]


def table(report: dict, rows: int | None = None) -> str:
    """Rows of figures, ``before`` and ``after`` side by side when both were measured."""
    runs = [name for name in ("before", "after") if name in report]
    lines = [f"{report['when']}, {report['cores']} cores, load average before: "
             f"{report['load_average_before']:.2f} (other load makes every figure noisier)"]
    for name in runs:
        lines.append(f"{name}: {report[name]['tree']}")
    width = max(len(label) for label, _ in ROWS)
    for label, cell in ROWS[:rows]:
        for number, name in enumerate(runs):
            head = label if number == 0 else ""
            lines.append(f"{head:<{width}}  {name:>6}  {cell(report[name])}")
    return "\n".join(lines)
