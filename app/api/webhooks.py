"""Wiring of webhook subscriptions: their store, the service, the dispatcher and its metrics.

The dispatcher is a thread of each worker (no extra process). Under gunicorn, ``gunicorn.conf.py``
starts it after a worker boots and stops it when the worker exits; ``start_dispatcher(app)`` does
the same for any other server (``make demo`` runs gunicorn, so it delivers too).
"""

from __future__ import annotations

from flask import Flask
from prometheus_client import Counter, Histogram

from app.base.config import Settings
from app.core.automations.deliveries import Dispatcher, Hooks
from app.core.automations.subscriptions import Subscriptions
from app.core.automations.webhook_http import Sender, WebhookPolicy
from app.stores.subscriptions import build_subscription_store

# From a write in Odoo to its delivery: the change feed's lag (CHANGES_LAG_SECONDS) plus polling.
_LAG_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


class WebhookMetrics(Hooks):
    """Deliveries, failures, retries and lag, as Prometheus series beside the gateway's own."""

    def __init__(self, registry) -> None:  # type: ignore[no-untyped-def]
        self.deliveries = Counter("gateway_webhook_events_delivered_total",
                                  "Events delivered to webhook receivers (answered 2xx).", registry=registry)
        self.batches = Counter("gateway_webhook_deliveries_total",
                               "Webhook deliveries (batches) answered 2xx.", registry=registry)
        self.failures = Counter("gateway_webhook_failures_total",
                                "Failed webhook attempts, by outcome (HTTP status, timeout, error, "
                                "dead_letter, disabled).",
                                ["outcome"], registry=registry)
        self.retries = Counter("gateway_webhook_retries_total", "Webhook batches scheduled for another try.",
                               registry=registry)
        self.lag = Histogram("gateway_webhook_lag_seconds",
                             "Seconds from Odoo's write_date of a change to its delivery (2xx).",
                             buckets=_LAG_BUCKETS, registry=registry)

    def delivered(self, events: int, lags: list[float]) -> None:
        self.batches.inc()
        self.deliveries.inc(events)
        for lag in lags:
            self.lag.observe(max(0.0, lag))

    def failed(self, outcome: str) -> None:
        label = outcome if outcome in ("timeout", "dead_letter", "disabled") or outcome.isdigit() else "error"
        self.failures.labels(label).inc()

    def retried(self) -> None:
        self.retries.inc()


def init_app(app: Flask, settings: Settings) -> Dispatcher:
    """Register /subscriptions and build this app's dispatcher (not started)."""
    from app.api.blueprints import subscriptions

    gateway = app.extensions["gateway"]
    policy = WebhookPolicy(settings.webhook_allowed_urls, settings.webhook_allow_private)
    store = build_subscription_store(settings.redis_url, settings.webhook_db)
    service = Subscriptions(store, gateway, policy, settings.encryption_keys, settings.webhook_max_per_key)
    sender = Sender(policy, settings.webhook_timeout_seconds, settings.webhook_max_answer_bytes)
    metrics = app.extensions.get("metrics")
    hooks = WebhookMetrics(metrics._registry) if metrics is not None else Hooks()  # noqa: SLF001
    dispatcher = Dispatcher(service, sender, settings, hooks)
    app.extensions["subscriptions"] = service
    app.extensions["webhook_dispatcher"] = dispatcher
    app.register_blueprint(subscriptions.bp)
    return dispatcher


def start_dispatcher(app: Flask) -> None:
    """Start delivering in this process (a worker), when WEBHOOKS_ENABLED."""
    dispatcher = app.extensions.get("webhook_dispatcher")
    if dispatcher is not None and app.extensions["gateway"].settings.webhooks_enabled:
        dispatcher.start()


def stop_dispatcher(app: Flask, timeout: float | None = None) -> None:
    """Finish or hand back the delivery in flight, then release this process's leases."""
    dispatcher = app.extensions.get("webhook_dispatcher")
    if dispatcher is not None:
        dispatcher.stop(timeout)
