"""Odoo failing: retries only for reads, stale keep-alive connections, restarts, the circuit breaker."""

from __future__ import annotations

import threading
import time

import pytest

from sandbox import OdooDouble
from tests.conftest import ADMIN_API_KEY, Api
from tests.test_errors_e2e import assert_error


@pytest.fixture(params=["xmlrpc", "jsonrpc"])
def admin_key(request: pytest.FixtureRequest, api: Api) -> str:
    """An admin key over XML-RPC, then over /jsonrpc: both follow the same retry rules."""
    key = api.key(transport=request.param)
    api.odoo.clear_calls()
    return key


WRITES = [
    ("create", {"values": {"name": "Once"}}),
    ("write", {"ids": [1], "values": {"name": "Once"}}),
    ("unlink", {"ids": [3]}),
]


def test_reads_are_retried_once_when_the_connection_breaks(api, admin_key) -> None:
    api.odoo.failure = "reset"
    assert_error(api.call(admin_key, "search", model="res.partner"), 502, "connection_failed")
    assert api.odoo.posts == 2


@pytest.mark.parametrize(("name", "arguments"), WRITES)
def test_writes_are_never_retried(api, admin_key, name, arguments) -> None:
    api.odoo.failure = "reset"
    assert_error(api.call(admin_key, name, model="res.partner", **arguments), 502,
                 "connection_failed")
    assert api.odoo.posts == 1


@pytest.mark.parametrize(("name", "arguments"), [*WRITES, ("search", {})])
def test_a_closed_keep_alive_connection_is_not_an_error(api, admin_key, name, arguments) -> None:
    api.result(admin_key, "search_count", model="res.partner")  # leaves a connection in the pool
    api.odoo.drop_idle_connections()
    api.odoo.clear_calls()
    response = api.call(admin_key, name, model="res.partner", **arguments)
    assert response.status_code == 200, response.json
    assert api.odoo.posts == 1  # reconnected before sending, not retried after a failure


def test_odoo_restart_with_idle_connections_in_the_pool(api, app, admin_key) -> None:
    fill_the_idle_pool(app, admin_key, api.odoo, callers=4)
    api.odoo.go_down()
    api.odoo.come_back()
    api.odoo.clear_calls()
    for _ in range(3):  # each call takes another stale connection out of the pool
        assert api.call(admin_key, "create", model="res.partner", values={"name": "x"}).status_code == 200
        assert api.call(admin_key, "search", model="res.partner").status_code == 200
    assert api.odoo.posts == 6


def fill_the_idle_pool(app, key: str, odoo: OdooDouble, callers: int) -> None:
    """Overlapping calls, so that the connector keeps several keep-alive connections idle."""
    odoo.latency = 0.2
    statuses: list[int] = []

    def one() -> None:
        statuses.append(Api(app.test_client(), odoo).call(key, "search", model="res.partner").status_code)

    threads = [threading.Thread(target=one) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    odoo.latency = 0.0
    assert statuses == [200] * callers
    gateway = app.extensions["gateway"]
    idle = [*(gateway.connector._idle.get(f"{odoo.url}/xmlrpc/2/object") or []),
            *(gateway.jsonrpc._http._idle.get(tuple(odoo.url.split("://"))) or [])]
    assert len(idle) == callers  # the precondition this test is about


@pytest.mark.parametrize("transport", ["xmlrpc", "jsonrpc", "json2"], indirect=True)
def test_breaker_opens_after_consecutive_failures(api, make_app, transport) -> None:
    api.client = make_app(breaker_failures=2, breaker_cooldown_seconds=60,
                          breaker_first_probe_seconds=60).test_client()
    key = api.key(password=ADMIN_API_KEY, transport=transport)
    api.odoo.go_down()
    try:
        statuses = [api.call(key, "search", model="res.partner").status_code for _ in range(2)]
        response = api.call(key, "search", model="res.partner")
    finally:
        api.odoo.come_back()
    assert statuses == [502, 502]
    body = assert_error(response, 503, "odoo_unavailable")
    assert body["details"]["retry_after"] == 60 and response.headers["Retry-After"] == "60"
    api.odoo.clear_calls()
    assert_error(api.call(key, "search", model="res.partner"), 503, "odoo_unavailable")
    assert api.odoo.posts == 0  # Odoo is back, but the cool-down is not over: not even tried


@pytest.mark.parametrize("transport", ["xmlrpc", "jsonrpc"])
def test_breaker_counts_timeouts_and_fails_fast(api, make_app, transport) -> None:
    # The key is minted through the same app first: 1 s leaves a busy machine room for that call.
    api.client = make_app(breaker_failures=2, odoo_timeout_seconds=1.0).test_client()
    key = api.key(transport=transport)
    api.odoo.failure = "hang"
    try:
        statuses = [api.call(key, "search", model="res.partner").status_code for _ in range(3)]
    finally:
        api.odoo.failure = None
    assert statuses == [504, 504, 503]
    assert api.odoo.posts == 3  # authenticate, then two timed-out searches; the third never left


def test_breaker_lets_one_probe_through_after_the_cool_down(api, make_app) -> None:
    api.client = make_app(breaker_failures=1, breaker_cooldown_seconds=0.2).test_client()
    key = api.key()
    api.odoo.go_down()
    assert api.call(key, "search", model="res.partner").status_code == 502
    assert api.call(key, "search", model="res.partner").status_code == 503
    time.sleep(0.25)
    assert api.call(key, "search", model="res.partner").status_code == 502  # the probe failed
    assert api.call(key, "search", model="res.partner").status_code == 503  # open again
    api.odoo.come_back()
    time.sleep(0.25)
    assert [api.call(key, "search", model="res.partner").status_code for _ in range(3)] == [200] * 3


def test_odoo_faults_do_not_count_as_failures(api, make_app) -> None:
    api.client = make_app(breaker_failures=2).test_client()
    key = api.key()
    statuses = []
    for model in ("res.partner", "no.such.model", "res.partner", "res.partner", "res.partner"):
        if model == "res.partner":
            api.odoo.go_down()
        statuses.append(api.call(key, "search", model=model).status_code)
        api.odoo.come_back()
    assert statuses == [502, 422, 502, 502, 503]


def test_breaker_is_per_odoo_url(api, make_app) -> None:
    api.client = make_app(breaker_failures=1, breaker_cooldown_seconds=60).test_client()
    with OdooDouble() as other:
        dead = api.key(url=other.url)
        other.go_down()
        assert api.call(dead, "search", model="res.partner").status_code == 502
        assert api.call(dead, "search", model="res.partner").status_code == 503
    alive = api.key()
    assert api.call(alive, "search", model="res.partner").status_code == 200


def test_breaker_refuses_minting_keys_for_a_dead_odoo(api, make_app) -> None:
    api.client = make_app(breaker_failures=1, breaker_cooldown_seconds=60).test_client()
    api.odoo.go_down()
    try:
        assert_error(api.generate(), 502, "connection_failed")
        assert_error(api.generate(), 503, "odoo_unavailable")
    finally:
        api.odoo.come_back()


@pytest.mark.parametrize(("name", "value"), [("BREAKER_FAILURES", "0"), ("BREAKER_FAILURES", "x"),
                                             ("BREAKER_COOLDOWN_SECONDS", "-1")])
def test_bad_breaker_settings_stop_the_start(name, value) -> None:
    from app.base.config import ConfigError, Settings
    from tests.conftest import SECRET

    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"ENCRYPTION_KEY": SECRET.decode(), name: value})
