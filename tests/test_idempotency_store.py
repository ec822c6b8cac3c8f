"""The idempotency stores on their own (SQLite and fakeredis), and the header through the app."""

from __future__ import annotations

import time
import uuid

import fakeredis
import pytest

from app.stores.idempotency import RedisIdempotencyStore, SqliteIdempotencyStore


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = SqliteIdempotencyStore(str(tmp_path / "idem.sqlite3"), max_entries=3)
    else:
        made = RedisIdempotencyStore(fakeredis.FakeRedis(), max_entries=3)
    yield made
    made.close()


def test_run_then_wait_then_replay_or_conflict(store) -> None:
    first = store.begin("k", "print", lease=5)
    assert first.action == "run"
    assert store.begin("k", "print", lease=5).action == "wait"
    assert store.begin("k", "other", lease=5).action == "conflict"
    store.finish("k", first.token, 201, b'{"ok": 1}', ttl=5)
    replay = store.begin("k", "print", lease=5)
    assert (replay.action, replay.status, replay.body) == ("replay", 201, b'{"ok": 1}')


def test_abandon_frees_the_key_and_a_stale_owner_changes_nothing(store) -> None:
    first = store.begin("k", "print", lease=5)
    store.abandon("k", first.token)
    second = store.begin("k", "print", lease=5)
    assert second.action == "run"
    store.finish("k", first.token, 200, b"old", ttl=5)  # not the owner any more
    assert store.begin("k", "print", lease=5).action == "wait"


def test_a_lease_and_an_answer_expire(store) -> None:
    store.begin("k", "print", lease=0.2)
    time.sleep(0.3)
    taken = store.begin("k", "print", lease=5)
    assert taken.action == "run"  # the first owner died: the retry runs
    store.finish("k", taken.token, 200, b"x", ttl=0.2)
    time.sleep(0.3)
    assert store.begin("k", "print", lease=5).action == "run"


def test_the_number_of_entries_is_bounded(store) -> None:
    for n in range(6):
        store.finish(f"k{n}", store.begin(f"k{n}", "p", lease=5).token, 200, b"x", ttl=60)
    assert store.begin("k0", "p", lease=5).action == "run"  # the oldest went first
    assert store.begin("k5", "p", lease=5).action == "replay"


def test_a_large_answer_is_not_run_again(make_app, odoo) -> None:
    client = make_app(idempotency_max_answer_bytes=10).test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                              "password": "admin", "scope": "*:RW"}).json["api_key"]
    headers = {"X-API-Key": key, "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "create", "arguments": {"model": "res.partner", "values": {"name": "Big"}}}
    assert client.post("/tools/call", json=body, headers=headers).status_code == 200
    again = client.post("/tools/call", json=body, headers=headers)
    assert again.status_code == 409 and "too large" in again.json["error"]
    assert odoo.count(model_method="create") == 1


def test_reads_ignore_the_header(make_app, odoo) -> None:
    client = make_app().test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                              "password": "admin", "scope": "*:R"}).json["api_key"]
    headers = {"X-API-Key": key, "Idempotency-Key": "same"}
    for _ in range(2):
        answer = client.post("/tools/call", headers=headers, json={
            "name": "search_count", "arguments": {"model": "res.partner"}})
        assert answer.status_code == 200 and "Idempotent-Replayed" not in answer.headers
    assert odoo.count(model_method="search_count") == 2


def test_mcp_tools_call_takes_an_idempotency_key_in_meta(make_app, odoo) -> None:
    client = make_app().test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                              "password": "admin", "scope": "*:RW"}).json["api_key"]
    headers = {"X-API-Key": key, "Accept": "application/json"}

    def call(name: str, meta: str) -> dict:
        params = {"name": "create", "arguments": {"model": "res.partner", "values": {"name": name}},
                  "_meta": {"idempotencyKey": meta}}
        return client.post("/mcp", headers=headers, json={
            "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).json["result"]

    first, again = call("Mcp Once", "m-1"), call("Mcp Once", "m-1")
    assert again["structuredContent"] == first["structuredContent"] and not first["isError"]
    assert again["_meta"] == {"idempotentReplayed": True} and "_meta" not in first
    assert odoo.count(model_method="create") == 1
    other = call("Mcp Other", "m-1")
    assert other["isError"] and other["structuredContent"]["status"] == "conflict"


def test_a_duplicate_waits_at_most_the_wait_setting(make_app, odoo) -> None:
    import threading

    app = make_app(idempotency_wait_seconds=0.3)
    client = app.test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                              "password": "admin", "scope": "*:RW"}).json["api_key"]
    headers = {"X-API-Key": key, "Idempotency-Key": "slow-1"}
    body = {"name": "create", "arguments": {"model": "res.partner", "values": {"name": "Slow"}}}
    odoo.latency = 1.0
    first: list = []
    thread = threading.Thread(target=lambda: first.append(app.test_client().post(
        "/tools/call", json=body, headers=headers)))
    thread.start()
    time.sleep(0.2)
    waiting = client.post("/tools/call", json=body, headers=headers)
    thread.join()
    assert waiting.status_code == 409 and "still running" in waiting.json["error"]
    assert waiting.headers["Retry-After"] == "1" and first[0].status_code == 200
    odoo.latency = 0
    assert client.post("/tools/call", json=body, headers=headers).headers["Idempotent-Replayed"] == "true"
    assert odoo.count(model_method="create") == 1
