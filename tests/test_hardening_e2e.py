"""Field-trial fixes that do not depend on workers: database names, a read-only revocation list,
the breaker's probe schedule, the depth scan itself."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.base import jsondepth
from app.odoo.breaker import CircuitBreaker
from tests.test_errors_e2e import assert_error


@pytest.mark.parametrize("name", ["demo\nX-Evil: 1", "demo\n", 'X-Evil: 1"', "d", "-demo", "dé",
                                  "a" * 64, "demo db", "demo;drop"])
def test_database_names_odoo_would_refuse_are_a_clear_400(api, name) -> None:
    body = assert_error(api.generate(database=name), 400, "invalid_request")
    assert "database" in body["details"] and "letters, digits" in body["error"]
    assert api.odoo.calls == []  # never reached Odoo


@pytest.mark.parametrize("name", ["demo", "my-company.prod_2", "0db", "a" * 63])
def test_database_names_odoo_allows_pass_the_check(api, name) -> None:
    response = api.generate(database=name)
    # Only "demo" exists in the double: the others reach Odoo and are refused by it.
    assert response.status_code == (200 if name == "demo" else 401), response.json
    assert api.odoo.calls


def test_openapi_documents_the_database_pattern(client) -> None:
    schema = client.get("/openapi.json").json["components"]["schemas"]
    generate = next(s for s in schema.values() if "database" in s.get("properties", {}))
    assert generate["properties"]["database"]["pattern"] == "^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}$"


def _mark_read_only(path) -> None:
    """Set the SQLite write version above 2: SQLite then opens the file read-only (even for root)."""
    with open(path, "r+b") as handle:
        handle.seek(18)
        handle.write(bytes([3]))


def test_ready_fails_when_the_revocation_list_cannot_be_written(make_app, tmp_path) -> None:
    path = tmp_path / "revocations.sqlite3"
    writable = make_app(revocation_db=str(path)).test_client()
    assert writable.get("/ready").json["checks"]["revocation_store"]["ok"] is True
    _mark_read_only(path)
    client = make_app(revocation_db=str(path)).test_client()  # a fresh process's connection
    response = client.get("/ready")
    assert response.status_code == 503
    check = response.json["checks"]["revocation_store"]
    assert check["ok"] is False and "readonly" in check["detail"]
    assert client.get("/health").status_code == 200  # not ready, but alive: not restarted
    with sqlite3.connect(path) as db:  # the probe wrote nothing
        assert db.execute("SELECT count(*) FROM revoked").fetchone() == (0,)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _probe(breaker: CircuitBreaker, clock: Clock, took: float) -> None:
    breaker.before("u")  # granted
    clock.now += took
    breaker.failed("u")


def _wait(breaker: CircuitBreaker, clock: Clock) -> float:
    """Seconds until the next probe is let through."""
    waited = 0.0
    while breaker.state("u") == "open":
        clock.now += 0.25
        waited += 0.25
    return waited


def test_breaker_probes_a_refusing_odoo_every_first_probe_interval() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=30, clock=clock, first_probe=1.0)
    breaker.failed("u")
    for _ in range(6):  # however long Odoo stays down, a refused probe costs it nothing
        assert _wait(breaker, clock) == 1.0
        _probe(breaker, clock, took=0.01)
    with pytest.raises(Exception, match="again in 1 seconds"):
        breaker.before("u")
    clock.now += 1
    breaker.before("u")  # only one probe at a time
    with pytest.raises(Exception, match="odoo|Odoo"):
        breaker.before("u")


def test_breaker_backs_off_from_a_hanging_odoo_up_to_the_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock, first_probe=1.0)
    breaker.failed("u")
    waits = []
    for _ in range(6):
        waits.append(_wait(breaker, clock))
        _probe(breaker, clock, took=5.0)  # timed out
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    _wait(breaker, clock)
    breaker.before("u")
    breaker.succeeded("u")
    assert breaker.state("u") == "closed"


@pytest.mark.parametrize("text", ['{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}', "[]", "3",
                                  '[[{"x": [[]]}], {}]', '"[[["'])
def test_depth_scan_agrees_with_the_parser(text) -> None:
    def real(value) -> int:
        if isinstance(value, dict):
            return 1 + max(map(real, value.values()), default=0)
        if isinstance(value, list):
            return 1 + max(map(real, value), default=0)
        return 0

    found = real(json.loads(text))
    assert not jsondepth.deeper_than(text, found)
    assert found == 0 or jsondepth.deeper_than(text, found - 1)


def _nest(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):  # built without recursion
        value = [value]
    return value


@pytest.mark.parametrize("levels", [150, 400])
def test_an_odoo_answer_nested_too_deep_is_a_clear_502(api, any_key, levels) -> None:
    partner = api.odoo.records("demo", "res.partner")[0]["id"]
    with api.odoo.lock:
        api.odoo.databases["demo"].tables["res.partner"][partner]["comment"] = _nest(levels)
    response = api.call(any_key, "read", model="res.partner", ids=[partner], fields=["comment"])
    if levels < 200:  # within ANSWER_DEPTH: passed on whole
        assert response.status_code == 200, response.json
        return
    body = assert_error(response, 502, "connection_failed")
    assert "more than 200 levels" in body["error"]
    assert api.call(any_key, "search", model="res.partner").status_code == 200  # breaker closed


def test_deep_bodies_are_refused_on_the_routes_added_since(api, admin_key, make_app, tmp_path) -> None:
    deep = '{"redirect_uris": ' + "[" * 100_000 + "]" * 100_000 + "}"
    headers = {"X-API-Key": admin_key, "Idempotency-Key": "deep-1", "Content-Type": "application/json"}
    # Idempotency-Key: the body is fingerprinted before the route reads it.
    body = assert_error(api.client.post("/tools/call", data=deep, headers=headers), 400, "invalid_request")
    assert "MAX_JSON_DEPTH" in body["error"] and api.odoo_calls() == []
    oauth = make_app(oauth_enabled=True, oauth_db=str(tmp_path / "oauth")).test_client()
    body = assert_error(oauth.post("/oauth/register", data=deep, content_type="application/json"),
                        400, "invalid_request")
    assert "MAX_JSON_DEPTH" in body["error"]
    registered = oauth.post("/oauth/register", json={"redirect_uris": ["https://app.example.com/cb"]})
    assert registered.status_code == 201


@pytest.mark.parametrize(("name", "value"), [
    ("MAX_JSON_DEPTH", "0"), ("MAX_JSON_DEPTH", "101"), ("MAX_JSON_DEPTH", "deep"),
    ("BREAKER_FIRST_PROBE_SECONDS", "-1"), ("RATE_LIMIT_DB", "/no/such/dir/counters.sqlite3")])
def test_bad_hardening_settings_stop_the_start(name, value) -> None:
    from app.base.config import ConfigError, Settings
    from tests.conftest import SECRET

    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"ENCRYPTION_KEY": SECRET.decode(), name: value})


def test_rate_limit_counters_lose_no_hit_across_processes_and_threads(tmp_path) -> None:
    import multiprocessing
    import threading

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from app.stores.ratelimit import SqliteStorage

    storage = SqliteStorage(f"sqlite://{tmp_path / 'counters.sqlite3'}")
    item = parse("1000000/hour")

    def hammer() -> None:  # in a forked child: its own connections, as a gunicorn worker
        limiter = FixedWindowRateLimiter(storage)
        threads = [threading.Thread(target=lambda: [limiter.hit(item, "k") for _ in range(200)])
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    workers = [multiprocessing.get_context("fork").Process(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * 4
    assert storage.get(item.key_for("k")) == 4 * 4 * 200
