"""Field-trial fixes that depend on real workers: deep JSON, exact per-host rate limits,
revocations across a restart, the breaker's recovery when Odoo comes back."""

from __future__ import annotations

import gc
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import yaml

from app.base import jsondepth
from sandbox import OdooDouble
from tests.test_gunicorn import ROOT, start_gunicorn, wait_healthy

LIMIT = 32  # MAX_JSON_DEPTH's default
SEARCH = {"name": "search_read", "arguments": {"model": "res.partner", "limit": 1}}
CREATE = {"name": "create", "arguments": {"model": "res.partner", "values": {"name": "deep", "comment": "@"}}}


def stop(process: subprocess.Popen, reader: threading.Thread) -> None:
    gc.collect()  # dropped responses' kept-alive connections would hold each worker 2 s (see stop_gunicorn)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()
    reader.join()
    process.stdout.close()


@pytest.fixture
def serve() -> Iterator:
    """Starts gunicorns with extra settings; stops them all at the end."""
    started: list[tuple[subprocess.Popen, threading.Thread]] = []

    def start(**env: str) -> str:
        process, base = start_gunicorn(env)
        # Read the log as it comes: a full pipe would block the workers' logging, then them.
        reader = threading.Thread(target=lambda: process.stdout.read(), daemon=True)
        reader.start()
        started.append((process, reader))
        wait_healthy(process, base)
        return base

    yield start
    for process, reader in started:
        stop(process, reader)


def mint(base: str, url: str, **extra) -> dict[str, str]:
    response = requests.post(base + "/auth/generate", timeout=10, json={
        "url": url, "database": "demo", "username": "admin", "password": "admin", "scope": "*:RW",
        **extra})
    assert response.status_code == 200, response.text
    return {"X-API-Key": response.json()["api_key"]}


# -- 1. deep JSON ---------------------------------------------------------------------------------

def _with_depth(template: dict | list, depth: int | None) -> str:
    """``template`` as JSON, its "@" replaced so that the whole body nests exactly ``depth`` deep."""
    text = __import__("json").dumps(template)
    base = next(d for d in range(LIMIT) if not jsondepth.deeper_than(text.replace('"@"', "0"), d))
    inner = depth - base
    return text.replace('"@"', "[" * inner + "]" * inner)


def _routes(odoo_url: str) -> dict[str, tuple[str, object]]:
    mcp_call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": CREATE}
    return {
        "generate": ("/auth/generate", {"url": odoo_url, "database": "demo", "username": "admin",
                                        "password": "admin", "context": {"deep": "@"}}),
        "validate": ("/auth/validate", {"api_key": "@"}),
        "revoke": ("/auth/revoke", {"key_id": "@"}),
        "call": ("/tools/call", CREATE),
        "batch": ("/tools/batch", {"calls": [CREATE, SEARCH]}),
        "mcp": ("/mcp", mcp_call),
        "mcp batch": ("/mcp", [mcp_call]),
    }


def _refused_for_depth(response: requests.Response, path: str) -> bool:
    body = response.json()
    if path == "/mcp":
        error = body["error"] if isinstance(body, dict) and "error" in body else {}
        return (response.status_code == 400 and error.get("code") == -32600
                and error.get("data", {}).get("status") == "invalid_request"
                and "MAX_JSON_DEPTH" in error["message"])
    return (response.status_code == 400 and body["status"] == "invalid_request"
            and "MAX_JSON_DEPTH" in body["error"] and body["details"] == {"max_json_depth": LIMIT})


def test_deep_json_is_refused_on_every_route_before_odoo(odoo, serve) -> None:
    base = serve()
    headers = {**mint(base, odoo.url), "Content-Type": "application/json"}
    with requests.Session() as http:
        for name, (path, template) in _routes(odoo.url).items():
            at_limit = http.post(base + path, data=_with_depth(template, LIMIT), headers=headers,
                                 timeout=10)
            assert at_limit.status_code < 500 and not _refused_for_depth(at_limit, path), name
            for depth in (LIMIT + 1, 100_000):
                odoo.clear_calls()
                response = http.post(base + path, data=_with_depth(template, depth),
                                     headers=headers, timeout=10)
                assert _refused_for_depth(response, path), (name, depth, response.text[:300])
                assert odoo.calls == [], (name, depth)  # nothing reached Odoo
            unbalanced = http.post(base + path, data="[" * 100_000, headers=headers, timeout=10)
            assert _refused_for_depth(unbalanced, path), name
            served = http.post(base + "/tools/call", json=SEARCH, headers=headers, timeout=10)
            assert served.status_code == 200, name  # the next call is served
    assert len(odoo.records("demo", "res.partner")) > 0


def test_values_at_the_depth_limit_reach_odoo_whole(odoo, serve) -> None:
    base = serve()
    headers = {**mint(base, odoo.url), "Content-Type": "application/json"}
    created = requests.post(base + "/tools/call", data=_with_depth(CREATE, LIMIT), headers=headers,
                            timeout=10)
    assert created.status_code == 200, created.text
    [sent] = odoo.sent("create")
    assert jsondepth.deeper_than(__import__("json").dumps(sent), LIMIT - 4)  # not cut short


# -- 2. rate limits exact per host ----------------------------------------------------------------

def test_rate_limits_hold_exactly_across_four_workers(odoo, serve) -> None:
    base = serve(WEB_CONCURRENCY="4", RATE_LIMIT="5/minute", GENERATE_RATE_LIMIT="4/minute")
    minted = [requests.post(base + "/auth/generate", timeout=10, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": "admin"})
        for _ in range(4 + 3)]  # a new connection each: the kernel spreads them over workers
    assert [r.status_code for r in minted] == [200] * 4 + [429] * 3
    assert all(int(r.headers["Retry-After"]) > 0 for r in minted[4:])
    first, second = ({"X-API-Key": r.json()["api_key"]} for r in minted[:2])
    answers = [requests.post(base + "/tools/call", json=SEARCH, headers=first, timeout=10)
               for _ in range(5 + 3)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 3
    assert answers[-1].json()["status"] == "rate_limited"
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    other = requests.post(base + "/tools/call", json=SEARCH, headers=second, timeout=10)
    assert other.status_code == 200  # another key is unaffected


# -- 3. revocations survive restarts --------------------------------------------------------------

def test_a_revoked_key_stays_refused_after_a_restart(odoo, serve, tmp_path) -> None:
    settings = {"REVOCATION_DB": str(tmp_path / "revocations.sqlite3")}
    base = serve(**settings)
    headers = mint(base, odoo.url)
    revoked = requests.post(base + "/auth/revoke", json={"api_key": headers["X-API-Key"]}, timeout=10)
    assert revoked.status_code == 200
    base = serve(**settings)  # a new gunicorn (new port), the same settings
    answer = requests.post(base + "/tools/call", json=SEARCH, headers=headers, timeout=10)
    assert answer.status_code == 401 and answer.json()["status"] == "key_revoked"
    assert requests.get(base + "/ready", timeout=10).status_code == 200


def test_compose_keeps_the_revocation_list_on_a_named_volume() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    gateway = compose["services"]["gateway"]
    path = gateway["environment"]["REVOCATION_DB"]
    mounts = dict(volume.split(":")[::-1] for volume in gateway["volumes"])
    directory = path.rsplit("/", 1)[0]
    assert mounts[directory] in compose["volumes"]  # a named volume, not a bind or a tmpfs
    assert not any(mount.startswith(directory) for mount in gateway.get("tmpfs", []))
    assert gateway["read_only"] is True
    assert f"/var/lib/odoo-gateway && chown gateway:gateway {directory}" in (ROOT / "Dockerfile").read_text()
    for name, service in compose["services"].items():  # replicas share Redis instead
        if "REVOCATION_DB" not in service.get("environment", {}) and "build" in service:
            assert name == "sandbox" or "REDIS_URL" in service["environment"], name


def test_kubernetes_keeps_the_revocation_list_in_redis() -> None:
    deployment = yaml.safe_load((ROOT / "deploy/kubernetes/deployment.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["optional"] is False
    secret = yaml.safe_load((ROOT / "deploy/kubernetes/secret.example.yaml").read_text())
    assert secret["stringData"]["REDIS_URL"].startswith("redis://")


# -- 9. breaker recovery --------------------------------------------------------------------------

class Load:
    """Callers in a loop; every answer kept as (time, status, seconds taken)."""

    def __init__(self, base: str, headers: dict[str, str], callers: int = 4) -> None:
        self.answers: list[tuple[float, int, float]] = []
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(base, headers)) for _ in range(callers)]

    def _run(self, base: str, headers: dict[str, str]) -> None:
        with requests.Session() as http:
            while self.running:
                started = time.monotonic()
                status = http.post(base + "/tools/call", json=SEARCH, headers=headers, timeout=30).status_code
                self.answers.append((started, status, time.monotonic() - started))
                time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()


@pytest.mark.long  # 13 s of steady load through an Odoo outage and its return
def test_service_resumes_within_two_seconds_of_odoos_return(serve) -> None:
    with OdooDouble() as odoo:
        # BREAKER_COOLDOWN_SECONDS stays 30; the load is steady, not rate limited.
        base = serve(BREAKER_FAILURES="3", RATE_LIMIT="100000/minute")
        headers = mint(base, odoo.url, scope="*:R")
        with Load(base, headers) as load:
            time.sleep(1.0)
            odoo.go_down()
            time.sleep(8.0)  # several probes refused meanwhile
            odoo.come_back()
            back = time.monotonic()
            time.sleep(4.0)
        statuses = {status for _, status, _ in load.answers}
        assert statuses <= {200, 502, 503} and 503 in statuses
        assert max(seconds for _, _, seconds in load.answers) < 2.0  # fast answers throughout
        down_at = min(t for t, status, _ in load.answers if status != 200)
        after = [(t, status) for t, status, _ in load.answers if t >= back]
        first_ok = min(t for t, status in after if status == 200)
        last_failure = max((t for t, status in after if status != 200), default=back)
        recovery = last_failure - back
        print(f"outage {back - down_at:.1f} s; every worker served again {recovery:.2f} s after "
              f"Odoo's return (first 200 after {first_ok - back:.2f} s)")
        assert recovery < 2.0
        assert all(status == 200 for t, status in after if t > back + 2.0)
