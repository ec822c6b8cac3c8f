"""Prometheus metrics: counted per route, tool and status; Odoo calls timed; pool and 429s seen."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app.base.errors import RateLimited


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of ``/metrics`` as {(name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_tool_and_status(api, client, admin_key) -> None:
    api.result(admin_key, "search_read", model="res.partner", limit=2)
    api.result(admin_key, "search_read", model="res.partner", limit=2)
    api.call(admin_key, "create", model="res.partner", values={"email": "x"})  # 422 from Odoo
    api.call(admin_key, "no_such_tool", model="res.partner")
    client.get("/nowhere/at/all")
    samples = scrape(client)
    count = "gateway_requests_total"
    assert value(samples, count, endpoint="/tools/call", tool="search_read", status="200") == 2
    assert value(samples, count, endpoint="/tools/call", tool="create", status="422") == 1
    # Callers choose tool names: unknown ones share one label value instead of each adding a series.
    assert value(samples, count, endpoint="/tools/call", tool="unknown", status="404") == 1
    assert value(samples, count, endpoint="unmatched", tool="", status="404") == 1
    assert value(samples, count, endpoint="/auth/generate", tool="", status="200") == 1
    assert value(samples, "gateway_request_duration_seconds_count", endpoint="/tools/call") == 4


def test_odoo_calls_are_timed_and_logins_counted(api, client) -> None:
    key = api.key()
    api.generate(password="wrong")
    api.result(key, "search_count", model="res.partner")
    api.odoo.go_down()
    api.call(key, "search_count", model="res.partner")
    api.odoo.come_back()
    samples = scrape(client)
    histogram = "gateway_odoo_call_duration_seconds_count"
    assert value(samples, histogram, method="search_count", outcome="ok") == 1
    assert value(samples, histogram, method="search_count", outcome="connection_failed") == 1
    assert value(samples, histogram, method="authenticate", outcome="ok") == 1
    assert value(samples, "gateway_odoo_authenticate_total", outcome="ok") == 1
    assert value(samples, "gateway_odoo_authenticate_total", outcome="auth_failed") == 1


def test_pool_size_hits_misses_and_evictions(api, make_app) -> None:
    app = make_app(pool_max_size=1)
    api.client = client = app.test_client()
    admin = api.key()
    restricted = api.key(username="restricted", password="restricted")  # pushes admin's session out
    api.result(restricted, "search_count", model="res.partner")  # hit
    api.result(admin, "search_count", model="res.partner")  # miss: authenticates again, evicts
    samples = scrape(client)
    assert value(samples, "gateway_pool_sessions") == 1
    assert value(samples, "gateway_pool_events_total", event="hit") == 1
    assert value(samples, "gateway_pool_events_total", event="miss") == 1
    assert value(samples, "gateway_pool_events_total", event="eviction") == 2


def test_rate_limit_refusals_are_counted(make_app) -> None:
    app = make_app()

    @app.get("/limited")
    def limited():
        raise RateLimited()

    client = app.test_client()
    assert client.get("/limited").status_code == 429
    samples = scrape(client)
    assert value(samples, "gateway_rate_limited_total", endpoint="/limited") == 1
    assert value(samples, "gateway_requests_total", endpoint="/limited", tool="", status="429") == 1


def test_metrics_can_be_switched_off(make_app) -> None:
    client = make_app(metrics_enabled=False).test_client()
    response = client.get("/metrics")
    assert response.status_code == 404 and response.json["status"] == "not_found"
    assert "/metrics" not in client.get("/openapi.json").json["paths"]


def test_business_method_names_do_not_become_label_values(api, client) -> None:
    key = api.key(scope="sale.order:RX,*:R")
    order = api.result(key, "search", model="sale.order", domain=[["state", "=", "draft"]],
                       limit=1)["ids"][0]
    api.result(key, "call", model="sale.order", method="action_confirm", ids=[order])
    samples = scrape(client)
    histogram = "gateway_odoo_call_duration_seconds_count"
    assert value(samples, histogram, method="other", outcome="ok") == 1
    assert not any(("method", "action_confirm") in labels for _, labels in samples)
