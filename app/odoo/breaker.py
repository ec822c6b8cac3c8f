"""A circuit breaker per Odoo URL, so that a dead Odoo fails fast instead of tying up threads.

    closed ──(``failures`` connection failures or timeouts in a row)──> open
    open ──(every call answered OdooUnavailable at once for the probe interval)──> half-open
    half-open ──(one probe call goes through)──> closed if it reached Odoo, open again if not

The probe interval starts at ``first_probe`` seconds. A probe that fails fast (connection
refused or reset, a proxy's error page: Odoo is down or restarting, and the probe cost it
nothing) keeps that interval, so service resumes within about ``first_probe`` seconds of Odoo's
return however long it was away. A probe that fails slowly (it took ``first_probe / 2`` seconds
or more: a timeout, an Odoo that hangs) doubles the interval, up to ``cooldown``, so that a
struggling Odoo gets ever fewer probes. Either way at most one probe per interval per worker.

Only failures to reach Odoo count (refused, reset, not XML-RPC, timeout); an answer from Odoo,
even a fault, proves it is alive. State is per process: each gunicorn worker has its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from cachetools import LRUCache

from app.base.errors import OdooUnavailable


class _Circuit:
    """The state of one URL."""

    __slots__ = ("failures", "interval", "opened_at", "probe_started", "probing")

    def __init__(self) -> None:
        self.failures = 0
        self.opened_at: float | None = None
        self.interval = 0.0  # how long this opening lasts before the next probe
        self.probe_started = 0.0
        self.probing = False


class CircuitBreaker:
    """Counts consecutive failures per URL; thread-safe."""

    def __init__(self, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic,
                 max_urls: int = 1024, first_probe: float = 1.0) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.first_probe = min(first_probe, cooldown)
        self._clock = clock
        # Bounded: URLs come from callers, and a forgotten URL merely starts closed again.
        self._circuits: LRUCache[str, _Circuit] = LRUCache(maxsize=max_urls)
        self._lock = threading.Lock()

    def before(self, url: str) -> None:
        """Let a call to ``url`` go on, or raise OdooUnavailable while the circuit is open."""
        with self._lock:
            circuit = self._circuits.get(url)
            if circuit is None or circuit.opened_at is None:
                return
            wait = circuit.opened_at + circuit.interval - self._clock()
            if wait <= 0 and not circuit.probing:
                circuit.probing = True  # this call is the probe; the others still fail fast
                circuit.probe_started = self._clock()
                return
        retry_after = max(math.ceil(wait), 1)
        raise OdooUnavailable(
            f"Odoo at {url} could not be reached {self.failures} times in a row; the gateway tries "
            f"it again in {retry_after} seconds (less often while it hangs: up to every "
            f"{self.cooldown:g} seconds).",
            details={"retry_after": retry_after}, retry_after=retry_after,
        )

    def succeeded(self, url: str) -> None:
        """Odoo answered: close the circuit."""
        with self._lock:
            if url in self._circuits:
                del self._circuits[url]

    def failed(self, url: str) -> None:
        """Odoo could not be reached: count it, and open the circuit at the threshold."""
        with self._lock:
            circuit = self._circuits.get(url)
            if circuit is None:
                circuit = self._circuits[url] = _Circuit()
            circuit.failures += 1
            if circuit.probing:  # the probe failed: a slow failure doubles the wait for the next
                now = self._clock()
                if now - circuit.probe_started >= self.first_probe / 2:
                    circuit.interval = min(circuit.interval * 2, self.cooldown)
                circuit.opened_at = now
            elif circuit.opened_at is None and circuit.failures >= self.failures:
                circuit.opened_at, circuit.interval = self._clock(), self.first_probe
            circuit.probing = False

    def released(self, url: str) -> None:
        """The call ended without telling whether Odoo is alive: let another probe through."""
        with self._lock:
            circuit = self._circuits.get(url)
            if circuit is not None:
                circuit.probing = False

    def state(self, url: str) -> str:
        """``closed``, ``open`` or ``half-open``, for health checks and tests."""
        with self._lock:
            circuit = self._circuits.get(url)
            if circuit is None or circuit.opened_at is None:
                return "closed"
            if circuit.opened_at + circuit.interval > self._clock():
                return "open"
            return "half-open"
