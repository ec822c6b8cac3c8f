"""Revocation: the stores, POST /auth/revoke, and a revocation seen by every worker."""

from __future__ import annotations

import os
import time

import fakeredis
import pytest

from app.stores.revocation import RedisRevocationStore, SqliteRevocationStore, build_store
from tests.test_errors_e2e import assert_error

TOKEN = "minting-token-0123456789abcdef"


@pytest.fixture
def sqlite_path(tmp_path) -> str:
    return str(tmp_path / "revoked.sqlite3")


def test_sqlite_store_is_shared_through_its_file(sqlite_path) -> None:
    one, two = SqliteRevocationStore(sqlite_path), SqliteRevocationStore(sqlite_path)
    try:
        assert not two.is_revoked("abc")
        one.revoke("abc")
        one.revoke("abc")  # idempotent
        assert two.is_revoked("abc") and not two.is_revoked("abd")
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_sqlite_store_sees_a_revocation_after_answers_were_remembered(sqlite_path, journal) -> None:
    """Answers are kept while the file's change counter stands still; a write by any process moves
    it (or, in WAL mode where it does not move, every check asks SQLite)."""
    import sqlite3

    with sqlite3.connect(sqlite_path) as setup:
        setup.execute(f"PRAGMA journal_mode={journal}")
    one, two = SqliteRevocationStore(sqlite_path), SqliteRevocationStore(sqlite_path)
    try:
        assert [two.is_revoked("late") for _ in range(3)] == [False] * 3
        one.revoke("other")
        one.revoke("late")
        assert two.is_revoked("late") and not two.is_revoked("never")
    finally:
        one.close()
        two.close()


def test_sqlite_store_defaults_to_the_temp_dir() -> None:
    import tempfile

    store = build_store(None, None)
    assert isinstance(store, SqliteRevocationStore)
    assert os.path.dirname(store.path) == tempfile.gettempdir()


def test_sqlite_store_reopens_after_a_fork(sqlite_path, monkeypatch) -> None:
    store = SqliteRevocationStore(sqlite_path)
    try:
        store.revoke("k1")
        first = store._db()
        monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a freshly forked worker
        assert store.is_revoked("k1") and store._db() is not first
        first.close()
    finally:
        store.close()


def test_sqlite_store_reads_share_no_lock_across_threads(sqlite_path) -> None:
    """Each thread reads through its own connection: a revocation made by one thread (or process)
    is seen by all, and no thread waits on a lock another thread holds across its read."""
    import threading

    store = SqliteRevocationStore(sqlite_path)
    try:
        seen: list[bool] = []
        connections: set[int] = set()

        def check() -> None:
            connections.add(id(store._db()))
            seen.append(store.is_revoked("k2"))

        store.revoke("k2")
        threads = [threading.Thread(target=check) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [True] * 8 and len(connections) == 8
        assert not hasattr(store, "_lock")  # nothing per process that every check would take
    finally:
        store.close()


def test_redis_store_is_shared_within_a_second() -> None:
    server = fakeredis.FakeServer()
    one = RedisRevocationStore(fakeredis.FakeStrictRedis(server=server), cache_seconds=0.2)
    two = RedisRevocationStore(fakeredis.FakeStrictRedis(server=server), cache_seconds=0.2)
    try:
        assert not two.is_revoked("abc")  # now cached as "not revoked" for up to 0.2 s
        one.revoke("abc")
        assert one.is_revoked("abc")  # the revoking replica knows at once
        time.sleep(0.25)
        assert two.is_revoked("abc")
    finally:
        one.close()
        two.close()


def test_redis_cache_never_exceeds_one_second() -> None:
    store = RedisRevocationStore(fakeredis.FakeStrictRedis(), cache_seconds=30)
    assert store._cache.ttl == 1.0
    store.close()


def test_redis_store_is_chosen_when_redis_url_is_set() -> None:
    store = build_store("redis://:secret@127.0.0.1:1/0", "/ignored")
    assert isinstance(store, RedisRevocationStore)
    store.close()


def test_revoke_with_the_key_itself(api) -> None:
    minted = api.generate().json
    response = api.client.post("/auth/revoke", json={"api_key": minted["api_key"]})
    assert response.status_code == 200
    assert response.json == {"status": "revoked", "key_id": minted["key_id"]}
    assert_error(api.call(minted["api_key"], "search", model="res.partner"), 401, "key_revoked")
    assert_error(api.client.post("/auth/validate", json={"api_key": minted["api_key"]}), 401,
                 "key_revoked")
    # Revoking twice is fine; other keys are untouched.
    assert api.client.post("/auth/revoke", json={"api_key": minted["api_key"]}).status_code == 200
    assert api.call(api.key(), "search", model="res.partner").status_code == 200


def test_revoke_by_id_with_the_minting_token(api, make_app) -> None:
    api.client = make_app(generate_token=TOKEN).test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    minted = api.client.post("/auth/generate", headers=auth, json={
        "url": api.odoo.url, "database": "demo", "username": "admin", "password": "admin"}).json
    response = api.client.post("/auth/revoke", json={"key_id": minted["key_id"]}, headers=auth)
    assert response.status_code == 200 and response.json["key_id"] == minted["key_id"]
    assert_error(api.call(minted["api_key"], "search", model="res.partner"), 401, "key_revoked")


@pytest.mark.parametrize("body", [{}, {"api_key": "x", "key_id": "y"}, {"key_id": "bad id!"},
                                  {"key_id": "abc", "extra": 1}])
def test_revoke_refuses_bad_bodies(api, body) -> None:
    assert_error(api.client.post("/auth/revoke", json=body), 400, "invalid_request")


def test_revoke_refuses_a_key_that_is_not_ours(api) -> None:
    assert_error(api.client.post("/auth/revoke", json={"api_key": "gAAAAAnotakey"}), 401, "auth_failed")


def test_an_expired_key_can_still_be_revoked(api, monkeypatch) -> None:
    minted = api.generate(expires_in=60).json
    monkeypatch.setattr(time, "time", lambda: 10**10)
    assert api.client.post("/auth/revoke", json={"api_key": minted["api_key"]}).status_code == 200


def test_revocation_is_seen_by_every_worker_at_once(odoo, make_app, sqlite_path) -> None:
    """Two apps on one SQLite file stand for two gunicorn workers of one host."""
    first = make_app(revocation_db=sqlite_path).test_client()
    second = make_app(revocation_db=sqlite_path).test_client()
    key = first.post("/auth/generate", json={"url": odoo.url, "database": "demo",
                                             "username": "admin", "password": "admin"}).json["api_key"]
    call = {"name": "search_count", "arguments": {"model": "res.partner"}}
    assert second.post("/tools/call", json=call, headers={"X-API-Key": key}).status_code == 200
    assert first.post("/auth/revoke", json={"api_key": key}).status_code == 200
    assert_error(second.post("/tools/call", json=call, headers={"X-API-Key": key}), 401, "key_revoked")


def test_revocation_is_checked_before_the_rate_limit_and_the_body(api, make_app) -> None:
    api.client = make_app(rate_limit="1/minute").test_client()
    key = api.key()
    api.client.post("/auth/revoke", json={"api_key": key})
    for _ in range(3):  # never counted against the limit, never parsed
        response = api.client.post("/tools/call", data="not json", headers={"X-API-Key": key})
        assert_error(response, 401, "key_revoked")
