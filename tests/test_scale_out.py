"""Scale-out, for real: two gunicorn replicas behind nginx round-robin, sharing Redis.

The processes are started by tests/cluster.py; the tests skip only when redis-server or nginx is
not installed (.ci/run installs both). Tests marked ``needs_security`` exercise revocation and rate
limits shared through Redis.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox import OdooDouble
from tests.cluster import UPSTREAM_HEADER, Cluster, Load, missing_binaries
from tests.conftest import SECRET

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,
    pytest.mark.skipif(bool(missing_binaries()),
                       reason=f"scale-out tests need {' and '.join(missing_binaries())} on PATH "
                              "(.ci/run installs the redis-server and nginx packages)"),
]
READ = {"name": "search_read", "arguments": {"model": "res.partner", "limit": 2}}
CLIENTS = 16
SETTLE = 0.5  # seconds for nginx to see a dead replica's connections close, on a busy machine


def mint(base: str, odoo_url: str, scope: str = "*:R") -> str:
    minted = requests.post(base + "/auth/generate", timeout=10, json={
        "url": odoo_url, "database": "demo", "username": "admin", "password": "admin", "scope": scope})
    assert minted.status_code == 200, minted.text
    return minted.json()["api_key"]


def call(base: str, key: str, http: requests.Session | None = None) -> requests.Response:
    return (http or requests).post(base + "/tools/call", json=READ, headers={"X-API-Key": key},
                                   timeout=20)


@pytest.fixture(scope="module")
def odoo_double() -> Iterator[OdooDouble]:
    double = OdooDouble().start()  # its own, so that a test's latency never leaks into another
    yield double
    double.stop()


@pytest.fixture(scope="module")
def cluster(odoo_double: OdooDouble, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two replicas (2 workers x 4 threads each) with RATE_LIMIT 20/hour, for read-only tests."""
    workdir = tmp_path_factory.mktemp("cluster")
    with Cluster(workdir, odoo_double.url, SECRET.decode(), workers=2,
                 env={"RATE_LIMIT": "20/hour"}) as running:
        yield running


@pytest.fixture
def fresh_cluster(odoo_double: OdooDouble, tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of its own, for tests that kill replicas; limits high enough for a load test."""
    odoo_double.latency = 0.02
    with Cluster(tmp_path, odoo_double.url, SECRET.decode(), workers=1, threads=8,
                 env={"RATE_LIMIT": "1000000/hour"}) as running:
        yield running
    odoo_double.latency = 0.0


@pytest.fixture
def security(cluster: Cluster) -> Cluster:
    """The cluster, whose revocation endpoint must exist (a 404 here is a failure, not a skip)."""
    probe = requests.post(cluster.url + "/auth/revoke", json={}, timeout=10)
    assert probe.status_code != 404, "POST /auth/revoke is missing"
    return cluster


def test_redis_answers_and_every_replica_is_healthy(cluster: Cluster) -> None:
    assert cluster.redis.command("PING") == "+PONG"
    for replica in cluster.replicas:
        assert requests.get(replica.url + "/health", timeout=10).json()["status"] == "healthy"


def test_key_minted_on_one_replica_opens_on_the_other(cluster: Cluster, odoo_double) -> None:
    first, second = cluster.replicas
    key = mint(first.url, odoo_double.url)
    answered = call(second.url, key)
    assert answered.status_code == 200 and answered.json()["result"]["count"] == 2
    validated = requests.post(second.url + "/auth/validate", json={"api_key": key}, timeout=10)
    assert validated.status_code == 200 and validated.json()["status"] == "valid"


def test_nginx_spreads_one_key_over_both_replicas(cluster: Cluster, odoo_double) -> None:
    key = mint(cluster.url, odoo_double.url)
    served = []
    with requests.Session() as http:
        for _ in range(6):
            answered = call(cluster.url, key, http)
            assert answered.status_code == 200, answered.text
            served.append(answered.headers[UPSTREAM_HEADER])
    assert set(served) == {r.address for r in cluster.replicas}


def test_request_id_goes_through_nginx_to_the_replica(cluster: Cluster) -> None:
    answered = requests.get(cluster.url + "/nope", headers={"X-Request-ID": "trace-42"}, timeout=10)
    assert answered.headers["X-Request-ID"] == "trace-42"
    assert answered.json()["request_id"] == "trace-42"


def test_nginx_answers_in_json_when_no_replica_answers(fresh_cluster: Cluster) -> None:
    for replica in fresh_cluster.replicas:
        replica.kill(signal.SIGKILL)
        replica.wait()
    answered = requests.post(fresh_cluster.url + "/tools/call", json=READ, timeout=10,
                             headers={"X-API-Key": "k", "X-Request-ID": "trace-43"})
    assert answered.status_code == 502
    assert answered.headers["Content-Type"] == "application/json"
    assert answered.json() == {"error": "No gateway replica answered; retry the request.",
                               "status": "upstream_unavailable", "request_id": "trace-43"}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_a_replica_mid_load_loses_only_calls_on_it(fresh_cluster: Cluster, odoo_double,
                                                          signum: int) -> None:
    """Without draining first, only calls in flight on a crashed replica may fail; SIGTERM loses none.

    nginx never resends a POST it has sent (it could be a write), so a call in flight on a
    SIGKILLed replica is answered 502 ``upstream_unavailable``; a call whose connection is refused
    (a SIGTERMed replica's workers close their listeners at once) is resent to the survivor. After
    the replica is gone every call is served.
    """
    victim, survivor = fresh_cluster.replicas
    key = mint(fresh_cluster.url, odoo_double.url)
    with Load(lambda http: call(fresh_cluster.url, key, http), CLIENTS) as load:
        time.sleep(1.0)
        signalled = time.monotonic()
        victim.kill(signum)
        code = victim.wait()
        gone = time.monotonic()
        time.sleep(SETTLE + 1.0)
    failed = [r for r in load.results if r[2] != 200]
    after = [r for r in load.results if r[0] > gone + SETTLE]
    assert code == (0 if signum == signal.SIGTERM else -signal.SIGKILL)
    assert len(failed) <= CLIENTS, fresh_cluster.logs()
    # A 502 from nginx naming the victim, or a body cut off because the victim died while nginx
    # relayed it; either way a call sent to the victim before nginx saw it was gone.
    for started, _ended, status, upstream in failed:
        assert (status == 502 and upstream == victim.address) or (
            status == 0 and "IncompleteRead" in upstream), upstream
        assert started < gone + SETTLE, (started - signalled, gone - signalled)
    assert after and all(r[2] == 200 and r[3].endswith(survivor.address) for r in after)
    if signum == signal.SIGTERM:  # graceful: calls in flight on the victim were answered...
        assert any(r[2] == 200 and r[3] == victim.address and r[1] > signalled for r in load.results)
        # ...and its closed listeners turned new connections into refusals that nginx resent.
        assert failed == [], failed


def test_rolling_restart_drained_first_loses_nothing(fresh_cluster: Cluster, odoo_double) -> None:
    """Out of rotation, then SIGTERM, restart, back in rotation: every call under load is served."""
    victim, survivor = fresh_cluster.replicas
    nginx = fresh_cluster.nginx
    key = mint(fresh_cluster.url, odoo_double.url)
    # A new connection per call, so that nginx's reload never closes one under a request.
    send = lambda http: http.post(fresh_cluster.url + "/tools/call", json=READ, timeout=20,  # noqa: E731
                                  headers={"X-API-Key": key, "Connection": "close"})
    with Load(send, CLIENTS) as load:
        time.sleep(0.5)
        nginx.reload(fresh_cluster.replicas, down=(victim.name,))  # old workers answered and left
        victim.kill(signal.SIGTERM)
        assert victim.wait() == 0
        victim.start()
        nginx.reload(fresh_cluster.replicas)
        back = time.monotonic()
        time.sleep(1.0)
    statuses = {r[2] for r in load.results}
    assert statuses == {200}, [r for r in load.results if r[2] != 200]
    assert {r[3] for r in load.results if r[0] > back} == {victim.address, survivor.address}


@pytest.mark.needs_security
def test_revocation_through_one_replica_is_refused_by_both_within_a_second(security: Cluster,
                                                                          odoo_double) -> None:
    first, second = security.replicas
    key = mint(first.url, odoo_double.url)
    for replica in security.replicas:  # each replica has now cached "not revoked"
        assert call(replica.url, key).status_code == 200
    revoked = requests.post(first.url + "/auth/revoke", json={"api_key": key}, timeout=10)
    assert revoked.status_code == 200, revoked.text
    time.sleep(1.1)  # the local cache holds an answer for at most 1 s
    for replica in (first, second, first, second, first, second):
        refused = call(replica.url, key)
        assert refused.status_code == 401 and refused.json()["status"] == "key_revoked", replica.name


@pytest.mark.needs_security
def test_rate_limit_is_counted_across_replicas(security: Cluster, odoo_double) -> None:
    first, second = security.replicas
    key = mint(security.url, odoo_double.url)
    for i in range(20):  # RATE_LIMIT is 20/hour: half of it on each replica
        assert call(security.replicas[i % 2].url, key).status_code == 200
    for replica in (first, second):
        limited = call(replica.url, key)
        assert limited.status_code == 429, limited.text
        assert limited.json()["status"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0


@pytest.mark.needs_security
def test_restarting_every_replica_keeps_revocations_and_counters(security: Cluster,
                                                                 odoo_double) -> None:
    revoked_key = mint(security.url, odoo_double.url)
    assert requests.post(security.url + "/auth/revoke", json={"api_key": revoked_key},
                         timeout=10).status_code == 200
    spent_key = mint(security.url, odoo_double.url)
    for _ in range(20):
        assert call(security.url, spent_key).status_code == 200
    for replica in security.replicas:
        replica.stop()
        replica.start()
    for replica in security.replicas:
        assert call(replica.url, revoked_key).json()["status"] == "key_revoked"
        assert call(replica.url, spent_key).status_code == 429
