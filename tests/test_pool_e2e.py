"""The session pool under concurrency: one authenticate per session, keys never mix."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor


def test_parallel_calls_on_one_key_authenticate_once_and_run_concurrently(odoo, make_app) -> None:
    app = make_app()
    client = app.test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo",
                                              "username": "admin", "password": "admin"}).json
    app.extensions["gateway"].pool.drop_all()  # force the first calls to race on authenticate
    odoo.clear_calls()
    odoo.latency = 0.2

    def call(_: int) -> int:
        return app.test_client().post("/tools/call", headers={"X-API-Key": key["api_key"]}, json={
            "name": "search_count", "arguments": {"model": "res.partner"}}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(16)))
    elapsed = time.perf_counter() - started
    assert statuses == [200] * 16
    assert odoo.count(method="authenticate") == 1
    assert odoo.count(method="execute_kw") == 16
    # 16 calls of 0.2 s (+0.2 s authenticate) queued behind one lock would take 3.4 s.
    assert elapsed < 1.5


def test_two_users_in_parallel_never_mix(odoo, make_app) -> None:
    app = make_app()
    keys = {}
    for user in ("admin", "restricted"):
        keys[user] = app.test_client().post("/auth/generate", json={
            "url": odoo.url, "database": "demo", "username": user, "password": user,
            "scope": "*:RW"}).json["api_key"]

    def create_group(user: str) -> tuple[str, int]:
        response = app.test_client().post("/tools/call", headers={"X-API-Key": keys[user]}, json={
            "name": "create", "arguments": {"model": "res.groups", "values": {"name": user}}})
        return user, response.status_code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create_group, ["admin", "restricted"] * 20))
    assert {status for user, status in results if user == "admin"} == {200}
    assert {status for user, status in results if user == "restricted"} == {403}
    uids = {c.uid for c in odoo.calls if c.method == "execute_kw"}
    assert uids == {2, 6}


def test_sessions_expire_after_the_ttl(odoo, make_app) -> None:
    app = make_app(pool_ttl_minutes=0.5 / 60)
    client = app.test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo",
                                              "username": "admin", "password": "admin"}).json
    headers = {"X-API-Key": key["api_key"]}
    body = {"name": "search_count", "arguments": {"model": "res.partner"}}
    odoo.clear_calls()
    client.post("/tools/call", headers=headers, json=body)
    assert odoo.count(method="authenticate") == 0
    time.sleep(0.6)
    client.post("/tools/call", headers=headers, json=body)
    assert odoo.count(method="authenticate") == 1


def test_pool_is_bounded_and_reports_its_stats(odoo, make_app) -> None:
    app = make_app(pool_max_size=2)
    client = app.test_client()
    for user in ("admin", "restricted", "portal"):
        assert client.post("/auth/generate", json={"url": odoo.url, "database": "demo",
                                                   "username": user, "password": user}).status_code == 200
    pool = client.get("/health").json["pool"]
    assert pool == {"size": 2, "max_size": 2, "ttl_seconds": 3600.0, "hits": 0, "misses": 0}
    assert odoo.count(method="execute_kw") == 0  # /health never contacts Odoo
