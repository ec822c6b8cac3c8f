"""Webhooks under real gunicorn: a worker killed mid-delivery, a graceful stop, two replicas on one Redis.

The dispatcher is a thread of each worker; the lease (SQLite on one host, Redis across replicas)
lets one of them deliver a subscription at a time. What the receiver got is checked batch by
batch: every change arrives, and the only repeats are the same batch (same ``webhook-id``) sent
again because its first attempt was never answered.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import requests

from tests import cluster
from tests.cluster import missing_binaries
from tests.conftest import SECRET
from tests.test_gunicorn import ROOT, free_port, wait_healthy
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow
FAST = {"WEBHOOK_ALLOW_PRIVATE": "true", "CHANGES_LAG_SECONDS": "0.5", "WEBHOOK_POLL_SECONDS": "0.05",
        "WEBHOOK_LEASE_SECONDS": "3", "WEBHOOK_TIMEOUT_SECONDS": "2", "WEBHOOK_BACKOFF_SECONDS": "0.1",
        "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"}


@contextmanager
def gunicorn(env_extra: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """A gunicorn in its own process group (so a test can kill a whole replica); stopped after."""
    port = free_port()
    env = {**os.environ, "ENCRYPTION_KEY": SECRET.decode(), "HOST": "127.0.0.1", "PORT": str(port),
           **FAST, **env_extra}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, base)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def mint_and_subscribe(base: str, odoo, url: str) -> tuple[str, dict]:
    minted = requests.post(base + "/auth/generate", timeout=10, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": "admin", "scope": "*:RW"})
    assert minted.status_code == 200, minted.text
    key = minted.json()["api_key"]
    sub = requests.post(base + "/subscriptions", headers={"X-API-Key": key}, timeout=10,
                        json={"model": "res.partner", "url": url, "fields": ["name"]})
    assert sub.status_code == 201, sub.text
    return key, sub.json()


def create(base: str, key: str, name: str) -> int:
    answer = requests.post(base + "/tools/call", headers={"X-API-Key": key}, timeout=10, json={
        "name": "create", "arguments": {"model": "res.partner", "values": {"name": name}}})
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]["id"]


def wait_until(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def acknowledged_once(hook: Receiver, ids: list[int]) -> None:
    """Every id delivered; a repeat only as the same batch (same webhook-id and events) again."""
    batches: dict[str, list[int]] = {}
    for delivery in hook.requests:
        events = [e["id"] for e in delivery.json["events"]]
        assert batches.setdefault(delivery.headers["webhook-id"], events) == events
    seen = [i for events in batches.values() for i in events]
    assert sorted(seen) == sorted(set(seen)), "one change in two different batches"
    assert set(ids) <= set(seen)


def lease_owner_pid(db_path: str, sub_id: str) -> int | None:
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT owner FROM leases WHERE name = ? AND expires > ?",
                         (sub_id, time.time())).fetchone()
    return int(row[0].split(":")[1]) if row else None


def test_a_worker_killed_mid_delivery_hands_over_without_loss(odoo, tmp_path) -> None:
    db = str(tmp_path / "webhooks.sqlite3")
    with Receiver() as hook, gunicorn({"WEBHOOK_DB": db}) as (base, _):
        key, sub = mint_and_subscribe(base, odoo, hook.url)
        hook.hold.clear()  # the first delivery stays in flight
        ids = [create(base, key, f"Before {n}") for n in range(3)]
        first = hook.wait_for(1)[0]
        owner = lease_owner_pid(db, sub["id"])
        assert owner is not None
        os.kill(owner, signal.SIGKILL)  # mid-delivery: the receiver has the body, no answer went back
        hook.hold.set()
        ids += [create(base, key, f"After {n}") for n in range(3)]
        wait_until(lambda: set(ids) <= {e["id"] for e in hook.events()})
        again = [d for d in hook.requests if d.headers["webhook-id"] == first.headers["webhook-id"]]
        assert len(again) >= 2  # the unanswered batch was sent again, under the same id
        acknowledged_once(hook, ids)
        wait_until(lambda: requests.get(f"{base}/subscriptions/{sub['id']}", headers={"X-API-Key": key},
                                        timeout=10).json()["in_flight"] is None)


def test_a_graceful_stop_finishes_the_delivery_in_flight(odoo, tmp_path) -> None:
    db = str(tmp_path / "webhooks.sqlite3")
    with Receiver() as hook, gunicorn({"WEBHOOK_DB": db}) as (base, process):
        key, sub = mint_and_subscribe(base, odoo, hook.url)
        hook.hold.clear()
        made = create(base, key, "In flight at shutdown")
        hook.wait_for(1)
        process.send_signal(signal.SIGTERM)
        threading.Timer(0.5, hook.hold.set).start()  # the receiver answers while the worker drains
        process.wait(30)
    with sqlite3.connect(db) as connection:
        progress = json.loads(connection.execute("SELECT progress FROM subscriptions WHERE id = ?",
                                                 (sub["id"],)).fetchone()[0])
        leases = connection.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
    assert progress["pending"] is None and progress["delivered"] == 1  # finished, cursor moved
    assert [e["id"] for e in hook.events()] == [made] and leases == 0  # and the lease handed back


@pytest.fixture
def shared_redis(tmp_path) -> Iterator[str]:
    """A real redis-server on loopback, shared by the replicas (fakeredis's TCP server dropped
    connections under concurrent Lua scripts); .ci/run installs it, as for the scale-out tests."""
    if missing_binaries():
        pytest.skip(f"needs {missing_binaries()} on PATH (.ci/run installs redis-server and nginx)")
    server = cluster.Redis(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.long
def test_two_replicas_on_one_redis_deliver_each_change_once_and_take_over(odoo, shared_redis) -> None:
    env = {"REDIS_URL": shared_redis, "WEB_CONCURRENCY": "1"}
    client = redis.Redis.from_url(shared_redis, decode_responses=True)
    with Receiver() as hook, gunicorn(env) as (first, one), gunicorn(env) as (second, two):
        key, sub = mint_and_subscribe(first, odoo, hook.url)
        assert requests.get(f"{second}/subscriptions/{sub['id']}", headers={"X-API-Key": key},
                            timeout=10).status_code == 200  # the replicas share the subscription
        ids = [create(first if n % 2 else second, key, f"Replicated {n}") for n in range(6)]
        wait_until(lambda: set(ids) <= {e["id"] for e in hook.events()})
        assert len(hook.events()) == len(ids)  # all answered 2xx: nothing twice
        owner = client.get(f"odoo_gateway:webhooks:lease:{sub['id']}")
        holder, other = (one, second) if _in_group(owner, one) else (two, first)
        hook.hold.clear()
        ids.append(create(other, key, "In flight when its replica dies"))
        hook.wait_for(len(hook.requests) + 1)
        os.killpg(holder.pid, signal.SIGKILL)
        hook.hold.set()
        ids.append(create(other, key, "After the take-over"))
        wait_until(lambda: set(ids) <= {e["id"] for e in hook.events()})
        acknowledged_once(hook, ids)
        assert client.get(f"odoo_gateway:webhooks:lease:{sub['id']}") != owner
    client.close()


def _in_group(owner: str | None, process: subprocess.Popen) -> bool:
    """Whether the lease owner's pid is in ``process``'s group (the replica)."""
    pid = int((owner or "x:0").split(":")[1])
    try:
        return os.getpgid(pid) == process.pid
    except ProcessLookupError:
        return False
