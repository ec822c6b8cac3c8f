"""Idempotency-Key under gunicorn (3 workers sharing one SQLite file, or Redis): retries reach Odoo once."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.cluster import Redis, missing_binaries
from tests.test_gunicorn import start_gunicorn, stop_gunicorn, wait_healthy

pytestmark = pytest.mark.slow


def serve(env: dict[str, str]) -> Iterator[str]:
    process, base = start_gunicorn({"WEB_CONCURRENCY": "3", **env})
    try:
        wait_healthy(process, base)
        yield base
    finally:
        stop_gunicorn(process)


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("idempotency") / "idempotency.sqlite3"


@pytest.fixture(scope="module")
def gateway(odoo_server, store_file) -> Iterator[str]:
    """One gunicorn for the module (a start is seconds on a busy machine): each test uses its own
    Idempotency-Key values, and the ``odoo`` fixture re-seeds the double between tests."""
    yield from serve({"IDEMPOTENCY_DB": str(store_file), "IDEMPOTENCY_MAX_ENTRIES": "20",
                      "GENERATE_RATE_LIMIT": "1000/minute"})


def mint(base: str, odoo) -> str:
    answer = requests.post(base + "/auth/generate", timeout=10, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": "admin", "scope": "*:RWDX"})
    assert answer.status_code == 200, answer.text
    return answer.json()["api_key"]


def create(base: str, key: str, idem: str | None, name: str = "Once Ltd") -> requests.Response:
    headers = {"X-API-Key": key, **({"Idempotency-Key": idem} if idem else {})}
    return requests.post(base + "/tools/call", headers=headers, timeout=30, json={
        "name": "create", "arguments": {"model": "res.partner", "values": {"name": name}}})


def test_retries_reach_odoo_once_and_answer_the_first_answer(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    first = create(gateway, key, idem)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    retries = [create(gateway, key, idem) for _ in range(6)]  # spread over the 3 workers
    assert {r.status_code for r in retries} == {200}
    assert all(r.json() == first.json() and r.headers["Idempotent-Replayed"] == "true" for r in retries)
    assert odoo.count(model_method="create") == 1
    other = create(gateway, key, str(uuid.uuid4()))  # a new key is a new request
    assert other.json()["result"]["id"] != first.json()["result"]["id"]
    assert odoo.count(model_method="create") == 2
    without = [create(gateway, key, None) for _ in range(2)]  # no header: no protection
    assert odoo.count(model_method="create") == 4 and without[0].json() != without[1].json()


def test_concurrent_duplicates_wait_for_the_first(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    odoo.latency = 0.5  # the first is still running when the others arrive
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: create(gateway, key, idem), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["result"]["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
    assert odoo.count(model_method="create") == 1


def test_another_body_with_the_same_key_is_a_409(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    assert create(gateway, key, idem, "First").status_code == 200
    answer = create(gateway, key, idem, "Second")
    assert answer.status_code == 409 and answer.json()["status"] == "conflict"
    assert "another request body" in answer.json()["error"] and answer.json()["request_id"]
    assert odoo.count(model_method="create") == 1
    other_key = mint(gateway, odoo)  # the same value under another API key is its own request
    assert create(gateway, other_key, idem, "Second").status_code == 200


def test_a_5xx_is_not_kept_and_the_retry_runs(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    odoo.failure = "http_500"
    failed = create(gateway, key, idem)
    assert failed.status_code == 502 and "Idempotent-Replayed" not in failed.headers
    odoo.failure = None
    retried = create(gateway, key, idem)
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert create(gateway, key, idem).headers["Idempotent-Replayed"] == "true"
    assert odoo.count(model_method="create") == 1  # Odoo answered 500 before running the first


def test_a_4xx_is_final_and_replayed(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    body = {"name": "create", "arguments": {"model": "res.partner", "values": {"email": "x"}}}
    headers = {"X-API-Key": key, "Idempotency-Key": idem}
    first = requests.post(gateway + "/tools/call", json=body, headers=headers, timeout=10)
    again = requests.post(gateway + "/tools/call", json=body, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 422 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and odoo.count(model_method="create") == 1


def test_storage_is_bounded(gateway, odoo, store_file) -> None:
    key = mint(gateway, odoo)
    keys = [str(uuid.uuid4()) for _ in range(30)]
    for idem in keys:
        assert create(gateway, key, idem, idem).status_code == 200
    with sqlite3.connect(store_file) as db:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] <= 20
    assert create(gateway, key, keys[0], keys[0]).headers.get("Idempotent-Replayed") is None  # evicted
    assert create(gateway, key, keys[-1], keys[-1]).headers["Idempotent-Replayed"] == "true"


def test_batches_and_calls_are_protected_too(gateway, odoo) -> None:
    key, idem = mint(gateway, odoo), str(uuid.uuid4())
    batch = {"calls": [{"name": "create", "arguments": {"model": "res.partner", "values": {"name": "B"}}},
                       {"name": "call", "arguments": {"model": "sale.order", "method": "action_confirm",
                                                      "ids": [1]}}]}
    headers = {"X-API-Key": key, "Idempotency-Key": idem}
    answers = [requests.post(gateway + "/tools/batch", json=batch, headers=headers, timeout=10)
               for _ in range(3)]
    assert all(a.status_code == 200 and a.json()["succeeded"] == 2 for a in answers)
    assert odoo.count(model_method="create") == 1 and odoo.count(model_method="action_confirm") == 1


def test_a_bad_header_is_a_400_before_odoo(gateway, odoo) -> None:
    key = mint(gateway, odoo)
    odoo.clear_calls()
    assert create(gateway, key, "x" * 256).status_code == 400
    assert odoo.count(model_method="create") == 0


@pytest.mark.long
@pytest.mark.skipif(bool(missing_binaries()), reason=f"needs {missing_binaries()} (see .ci/run)")
def test_replicas_share_answers_through_redis(odoo, tmp_path) -> None:
    redis = Redis(tmp_path)
    try:
        one, two = serve({"REDIS_URL": redis.url}), serve({"REDIS_URL": redis.url})
        first_url, second_url = next(one), next(two)
        key, idem = mint(first_url, odoo), str(uuid.uuid4())
        first = create(first_url, key, idem)
        again = create(second_url, key, idem)
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        assert create(second_url, key, idem, "Other").status_code == 409
        assert odoo.count(model_method="create") == 1
        for server in (one, two):
            server.close()
    finally:
        redis.stop()
