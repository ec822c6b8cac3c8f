"""CPU accounting for benchmarks: machine busy %, and CPU ms per request of each process group.

Read from /proc (Linux): ``/proc/stat`` for the whole machine (other load included: on a shared
machine the busy % says how much of it was someone else's), ``/proc/PID/stat`` for the gateway
(gunicorn's master and workers), the double's process and this client process. A run that is
CPU-bound shows a machine near 100% busy; one that waits on locks shows idle cores and low rates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class Meter:
    """CPU of named process groups between ``start()`` and ``stop(requests)``."""

    groups: dict[str, list[int]]  # name -> pids (read again at stop: workers may be respawned)
    _cpu: dict[str, float] = field(default_factory=dict)
    _ticks: tuple[int, int] = (0, 0)

    def start(self) -> Meter:
        self._cpu = {name: sum(process_cpu_s(p) for p in pids) for name, pids in self.groups.items()}
        self._ticks = machine_ticks()
        return self

    def stop(self, requests: int) -> dict:
        busy, total = machine_ticks()
        share = (busy - self._ticks[0]) / max(total - self._ticks[1], 1)
        report = {"machine_busy_pct": round(100 * share, 1)}
        for name, pids in self.groups.items():
            used = sum(process_cpu_s(p) for p in pids) - self._cpu[name]
            report[f"{name}_cpu_ms_per_request"] = round(1000 * used / max(requests, 1), 3)
        return report
