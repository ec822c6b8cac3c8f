"""Prometheus metrics at ``/metrics``, safe under several gunicorn workers.

Under gunicorn, ``gunicorn.conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a directory before the
app (and so ``prometheus_client``) is imported: each worker writes its values to files there and a
scrape of any worker sums them. Without it (``flask run``, tests) the values live in this process.
Odoo calls are timed by wrapping the gateway's connector, so ``app.odoo.xmlrpc`` knows nothing of this.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from app.api.openapi import documented
from app.base.errors import GatewayError

# Odoo calls span a LAN round trip to a slow report; requests add the gateway's own work.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The gateway's metrics, registered once per app."""

    def __init__(self, multiprocess_dir: str | None, tools: frozenset[str] = frozenset()) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.tools = tools
        # In multiprocess mode values go to files and the collector reads them back: registering
        # the metrics themselves as well would count every value twice.
        own = None if multiprocess_dir else CollectorRegistry()
        self._registry = own
        self.requests = Counter(
            "gateway_requests_total", "HTTP requests answered, by route, tool and HTTP status.",
            ["endpoint", "tool", "status"], registry=own)
        self.request_seconds = Histogram(
            "gateway_request_duration_seconds", "Time to answer an HTTP request, by route.",
            ["endpoint"], buckets=_BUCKETS, registry=own)
        self.odoo_seconds = Histogram(
            "gateway_odoo_call_duration_seconds",
            "Time of each call to Odoo, by ORM method (or authenticate) and outcome.",
            ["method", "outcome"], buckets=_BUCKETS, registry=own)
        self.authenticate = Counter(
            "gateway_odoo_authenticate_total", "Logins checked with Odoo's common.authenticate, by outcome.",
            ["outcome"], registry=own)
        self.rate_limited = Counter(
            "gateway_rate_limited_total", "Requests refused with 429 rate_limited, by route.",
            ["endpoint"], registry=own)
        self.pool_sessions = Gauge(
            "gateway_pool_sessions", "Authenticated Odoo sessions held, summed over live workers.",
            registry=own, multiprocess_mode="livesum")
        self.pool_events = Counter(
            "gateway_pool_events_total", "Session pool lookups and removals: hit, miss, eviction.",
            ["event"], registry=own)
        # Each labelled child, kept once looked up: ``labels()`` checks its arguments and takes
        # the metric's lock on every call. Bounded like the labels (routes x tools x statuses).
        self._children: dict[tuple, Any] = {}
        self._seen = {"hit": 0, "miss": 0, "eviction": 0}
        self._synced = float("-inf")
        self._lock = threading.Lock()

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once per process."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def exposition(self) -> bytes:
        """The text format of every metric (summed over workers in multiprocess mode)."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        return generate_latest(registry)

    def sync_pool_now_and_then(self, pool: Any, every: float = 1.0) -> None:
        """``sync_pool`` at most once a second per worker: pool figures may lag a scrape by 1 s."""
        now = time.monotonic()
        if now - self._synced >= every:
            self._synced = now
            self.sync_pool(pool)

    def sync_pool(self, pool: Any) -> None:
        """Carry the pool's own counters into the metrics (as increments, so they add across workers)."""
        stats = pool.stats()
        now = {"hit": stats["hits"], "miss": stats["misses"], "eviction": pool.evictions}
        with self._lock:
            for event, value in now.items():
                if value > self._seen[event]:
                    self.pool_events.labels(event).inc(value - self._seen[event])
                self._seen[event] = value
        self.pool_sessions.set(stats["size"])


_KNOWN_METHODS = frozenset({
    "search", "read", "search_read", "search_count", "fields_get", "default_get", "create",
    "write", "unlink", "name_search", "read_group",
})


class ObservedConnector:
    """The Odoo connector with its calls timed and its logins counted; anything else passes through."""

    def __init__(self, connector: Any, metrics: Metrics) -> None:
        self._connector = connector
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector, name)

    def authenticate(self, credentials: Any) -> int:
        outcome = "error"
        started = time.perf_counter()
        try:
            uid = self._connector.authenticate(credentials)
            outcome = "ok"
            return uid
        except GatewayError as error:
            outcome = error.code
            raise
        finally:
            self._metrics.odoo_seconds.labels("authenticate", outcome).observe(time.perf_counter() - started)
            self._metrics.authenticate.labels(outcome).inc()

    def execute_kw(self, credentials: Any, uid: int, model: str, method: str, args: list,
                   kwargs: dict, **options: Any) -> Any:
        outcome = "error"
        started = time.perf_counter()
        try:
            result = self._connector.execute_kw(credentials, uid, model, method, args, kwargs,
                                                **options)
            outcome = "ok"
            return result
        except GatewayError as error:
            outcome = error.code
            raise
        finally:
            label = method if method in _KNOWN_METHODS else "other"  # callers name methods freely
            self._metrics.child(self._metrics.odoo_seconds, label, outcome).observe(
                time.perf_counter() - started)


def init_app(app: Flask, multiprocess_dir: str | None) -> Metrics:
    """Count every answer, time the Odoo calls, and serve ``/metrics``."""
    disable_created_metrics()  # the *_created series only double what a scrape shows
    gateway = app.extensions["gateway"]
    names = frozenset(t["name"] for t in gateway.registry.catalogue()) | {"batch"}
    metrics = Metrics(multiprocess_dir, names)
    app.extensions["metrics"] = metrics
    gateway.connector = ObservedConnector(gateway.connector, metrics)
    for other in ("json2", "jsonrpc"):  # Odoo 19's JSON-2 API and /jsonrpc, beside XML-RPC
        if getattr(gateway, other, None) is not None:
            setattr(gateway, other, ObservedConnector(getattr(gateway, other), metrics))
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", _serve, methods=["GET"])
    return metrics


def _count(response: Response) -> Response:
    metrics: Metrics = current_app.extensions["metrics"]
    # The route's rule, not the path: unknown paths must not each become a time series.
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    tool = g.get("log_fields", {}).get("tool") or ""
    if tool and tool not in metrics.tools:
        tool = "unknown"  # tool names come from callers: keep the label's values bounded
    metrics.child(metrics.requests, endpoint, tool, str(response.status_code)).inc()
    if "started" in g:
        metrics.child(metrics.request_seconds, endpoint).observe(time.perf_counter() - g.started)
    if response.status_code == 429:
        metrics.child(metrics.rate_limited, endpoint).inc()
    metrics.sync_pool_now_and_then(current_app.extensions["gateway"].pool)
    return response


@documented("Prometheus metrics, summed over the workers", ok={"type": "string"}, tag="operations",
            content_type="text/plain")
def _serve() -> Response:
    metrics: Metrics = current_app.extensions["metrics"]
    metrics.sync_pool(current_app.extensions["gateway"].pool)
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
