"""The OAuth store on SQLite and on Redis (fakeredis): the same behaviour, entries that expire."""

from __future__ import annotations

import time
from collections.abc import Iterator

import fakeredis
import pytest

from app.stores.oauth import RedisOAuthStore, SqliteOAuthStore
from tests.oauth_flow import Flow


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path) -> Iterator:
    made = (SqliteOAuthStore(str(tmp_path / "oauth.sqlite3")) if request.param == "sqlite"
            else RedisOAuthStore(fakeredis.FakeStrictRedis()))
    yield made
    made.close()


def test_put_get_and_replace(store) -> None:
    assert store.get("client", "a") is None
    store.put("client", "a", "one", 60)
    store.put("client", "a", "two", 60)
    assert store.get("client", "a") == "two"
    assert store.get("code", "a") is None  # kinds are apart


def test_claim_succeeds_once(store) -> None:
    assert store.claim("refresh_used", "chain:0", "1", 60) is True
    assert store.claim("refresh_used", "chain:0", "1", 60) is False
    assert store.claim("refresh_used", "chain:1", "1", 60) is True


def test_count_and_members(store) -> None:
    for name in ("a", "b", "c"):
        store.put("client", name, "x", 60)
    assert store.count("client") == 3 and store.count("code") == 0
    store.add("chain_keys", "c1", "k1", 60)
    store.add("chain_keys", "c1", "k2", 60)
    store.add("chain_keys", "c1", "k1", 60)
    assert store.members("chain_keys", "c1") == ["k1", "k2"]
    assert store.members("chain_keys", "other") == []


def test_entries_expire(store) -> None:
    store.put("client", "a", "x", 1)
    store.claim("code_used", "h", "1", 1)
    store.add("chain_keys", "c", "k", 1)
    time.sleep(1.2)
    assert store.get("client", "a") is None and store.count("client") == 0
    assert store.claim("code_used", "h", "1", 1) is True  # an expired claim can be taken again
    assert store.members("chain_keys", "c") == []


def test_the_flows_run_on_redis(make_app, odoo, tmp_path) -> None:
    """Code reuse and refresh reuse are caught when the state lives in Redis."""
    app = make_app(oauth_enabled=True, oauth_db=str(tmp_path / "unused"),
                   revocation_db=str(tmp_path / "revoked.sqlite3"))
    service = app.extensions["oauth"]
    service.store = service.clients.store = RedisOAuthStore(fakeredis.FakeStrictRedis())
    flow = Flow(app.test_client(), odoo.url)
    client_id, first = flow.tokens()
    second = flow.refresh(client_id, first["refresh_token"])
    assert second.status_code == 200
    assert flow.refresh(client_id, first["refresh_token"]).status_code == 400
    assert flow.key_status(second.get_json()["access_token"]) == "key_revoked"
    assert not (tmp_path / "unused").exists()


def test_redis_index_of_a_kind_is_trimmed_as_entries_expire() -> None:
    redis = fakeredis.FakeStrictRedis()
    store = RedisOAuthStore(redis)
    store.put("code", "old", "x", 1)
    time.sleep(1.1)
    store.put("code", "new", "x", 60)
    assert redis.zcard("odoo_gateway:oauth:index:code") == 1


def test_readiness_checks_the_oauth_store(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, oauth_db=str(tmp_path / "oauth.sqlite3"))
    assert app.test_client().get("/ready").get_json()["checks"]["oauth_store"]["ok"] is True
    app.extensions["oauth"].store = SqliteOAuthStore(str(tmp_path / "missing" / "oauth.sqlite3"))
    answer = app.test_client().get("/ready")
    assert answer.status_code == 503 and answer.get_json()["checks"]["oauth_store"]["ok"] is False
