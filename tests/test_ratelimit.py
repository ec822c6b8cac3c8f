"""Rate limits: per key on /tools/call, per client address on /auth/generate, 429 with Retry-After."""

from __future__ import annotations

import time

from tests.test_errors_e2e import assert_error

LOGIN = {"database": "demo", "username": "admin", "password": "admin"}


def test_per_key_limit_is_hit_then_resets(api, make_app) -> None:
    api.client = make_app(rate_limit="2/second").test_client()
    key = api.key()
    assert [api.call(key, "search", model="res.partner").status_code for _ in range(2)] == [200, 200]
    limited = api.call(key, "search", model="res.partner")
    body = assert_error(limited, 429, "rate_limited")
    assert "RATE_LIMIT" in body["error"]
    retry_after = int(limited.headers["Retry-After"])
    assert retry_after == 1
    time.sleep(retry_after + 0.05)
    assert api.call(key, "search", model="res.partner").status_code == 200


def test_per_key_limit_counts_each_key_apart(api, make_app) -> None:
    api.client = make_app(rate_limit="1/minute").test_client()
    first, second = api.key(), api.key()
    assert api.call(first, "search", model="res.partner").status_code == 200
    assert_error(api.call(first, "search", model="res.partner"), 429, "rate_limited")
    assert api.call(second, "search", model="res.partner").status_code == 200


def test_limited_calls_do_not_reach_odoo(api, make_app) -> None:
    api.client = make_app(rate_limit="1/minute").test_client()
    key = api.key()
    api.call(key, "search", model="res.partner")
    api.odoo.clear_calls()
    assert_error(api.call(key, "search", model="res.partner"), 429, "rate_limited")
    assert api.odoo.calls == []


def test_generate_is_limited_per_address(api, make_app) -> None:
    api.client = make_app(generate_rate_limit="2/minute").test_client()
    assert [api.generate().status_code for _ in range(2)] == [200, 200]
    limited = api.generate()
    body = assert_error(limited, 429, "rate_limited")
    assert "GENERATE_RATE_LIMIT" in body["error"] and int(limited.headers["Retry-After"]) >= 1
    other = api.client.post("/auth/generate", json={"url": api.odoo.url, **LOGIN},
                            environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert other.status_code == 200


def test_forwarded_for_is_believed_only_behind_trusted_proxies(api, make_app) -> None:
    client = make_app(generate_rate_limit="1/minute", trusted_proxies=1).test_client()
    body = {"url": api.odoo.url, **LOGIN}
    for address in ("198.51.100.1", "198.51.100.2"):  # two clients behind one proxy
        response = client.post("/auth/generate", json=body, headers={"X-Forwarded-For": address})
        assert response.status_code == 200
    again = client.post("/auth/generate", json=body, headers={"X-Forwarded-For": "198.51.100.1"})
    assert_error(again, 429, "rate_limited")


def test_revoke_is_limited_per_address(api, make_app) -> None:
    api.client = make_app(generate_rate_limit="1/minute").test_client()
    api.client.post("/auth/revoke", json={"api_key": "x"})
    assert_error(api.client.post("/auth/revoke", json={"api_key": "x"}), 429, "rate_limited")


def test_a_batch_spends_one_unit_per_call(api, make_app) -> None:
    api.client = make_app(rate_limit="3/minute").test_client()
    key = api.key()
    calls = [{"name": "search_count", "arguments": {"model": "res.partner"}}] * 3
    first = api.client.post("/tools/batch", json={"calls": calls}, headers={"X-API-Key": key})
    assert first.status_code == 200 and first.json["succeeded"] == 3
    api.odoo.clear_calls()
    assert_error(api.client.post("/tools/batch", json={"calls": calls[:1]},
                                 headers={"X-API-Key": key}), 429, "rate_limited")
    assert_error(api.call(key, "search", model="res.partner"), 429, "rate_limited")
    assert api.odoo.calls == []


def test_mcp_tool_calls_count_against_the_key(api, make_app) -> None:
    from tests.mcp_rpc import Rpc

    api.client = make_app(rate_limit="1/minute").test_client()
    key = api.key()
    rpc = Rpc(api.client, key)
    arguments = {"name": "search_count", "arguments": {"model": "res.partner"}}
    assert rpc.result("tools/call", arguments)["isError"] is False
    refused = rpc.result("tools/call", arguments)
    assert refused["isError"] is True and refused["structuredContent"]["status"] == "rate_limited"
    assert_error(api.call(key, "search", model="res.partner"), 429, "rate_limited")
