"""Fuzzing the request schemas: no input, however strange, gets a 5xx or a non-JSON answer.

The short profile runs in ``make test``; ``make fuzz`` runs the long one
(``HYPOTHESIS_PROFILE=long``).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

settings.register_profile(
    "short", max_examples=30, deadline=None, database=None, derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=3000, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))

TOOLS = ["search", "read", "search_read", "search_count", "fields_get", "default_get", "create",
         "write", "unlink"]
MODELS = ["res.partner", "res.users", "sale.order", "product.product", "no.such.model"]
FIELDS = ["name", "email", "id", "is_company", "parent_id", "parent_id.name", "nofield", "x_y"]
OPERATORS = ["=", "!=", "in", "not in", "ilike", "like", "<", ">=", "child_of", "any", "=?", "bad"]

weird_text = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["", " ", "\x00", "\ud7ff\uffff", "😀" * 10, "a" * 5000, "<xml>&amp;</xml>", "%(x)s", "{}"])
huge_numbers = st.integers() | st.sampled_from([2**31 - 1, 2**31, 2**63, -(2**63), 10**40])
scalars = (st.none() | st.booleans() | huge_numbers | weird_text
           | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(weird_text, inner, max_size=4),
    max_leaves=12)
field_names = st.sampled_from(FIELDS) | weird_text
leaves = st.tuples(field_names | st.sampled_from([0, 1]), st.sampled_from(OPERATORS) | weird_text,
                   json_values).map(list)
domains = st.lists(leaves | st.sampled_from(["&", "|", "!"]), max_size=5) | json_values
ids = st.lists(huge_numbers, max_size=5) | json_values
values = st.dictionaries(field_names, json_values, max_size=4)
tool_arguments = st.fixed_dictionaries(
    {"model": st.sampled_from(MODELS) | weird_text},
    optional={"domain": domains, "ids": ids, "fields": st.lists(field_names, max_size=3) | json_values,
              "limit": huge_numbers | json_values, "offset": huge_numbers, "order": weird_text,
              "values": values | st.lists(values, max_size=3) | json_values,
              "attributes": st.lists(weird_text, max_size=3), "context": st.dictionaries(
                  weird_text, json_values, max_size=3) | json_values},
)
envelopes = st.fixed_dictionaries({"name": st.sampled_from(TOOLS) | weird_text,
                                   "arguments": tool_arguments}) | json_values
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
                      max_size=200)


def assert_json_answer(response) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.json
    if response.status_code >= 400:
        assert set(body) >= {"error", "status", "request_id"}, body
        assert isinstance(body["error"], str) and body["error"]


def post(client, path: str, body: Any, headers: dict[str, str] | None = None):
    # json.dumps, not the client's json=: it lets NaN through, as a careless caller would send it
    return client.post(path, data=json.dumps(body), headers=headers or {},
                       content_type="application/json")


@PROFILE
@given(body=envelopes)
def test_tools_call_survives_any_body(api, admin_key, body) -> None:
    assert_json_answer(post(api.client, "/tools/call", body, {"X-API-Key": admin_key}))


@PROFILE
@given(name=st.sampled_from(TOOLS), arguments=tool_arguments)
def test_tools_survive_structured_arguments(api, admin_key, name, arguments) -> None:
    body = {"name": name, "arguments": arguments}
    assert_json_answer(post(api.client, "/tools/call", body, {"X-API-Key": admin_key}))


@PROFILE
@given(body=st.fixed_dictionaries({}, optional={
    "url": st.sampled_from(["double", "double/", "ftp://x", "http://", "http://user:pw@h"]) | weird_text,
    "database": st.sampled_from(["demo", "other", "nodb"]) | weird_text,
    "username": st.sampled_from(["admin", "portal"]) | weird_text,
    "password": st.sampled_from(["admin", "portal", "wrong"]) | weird_text,
    "scope": st.sampled_from(["*:R", "res.partner:RWD", "*:X", ",,", "a:b:c"]) | weird_text,
    "expires_in": huge_numbers | json_values, "context": json_values, "extra": json_values,
}) | json_values)
def test_auth_generate_survives_any_body(api, body) -> None:
    check_generate(api, body)


@PROFILE
@given(body=st.fixed_dictionaries(
    {"url": st.just("double"), "database": st.just("demo"), "username": st.just("admin"),
     "password": st.just("admin")},
    optional={"scope": st.sampled_from(["*:R", "res.partner:RWD", "*:RWD,res.users:"]) | weird_text,
              "expires_in": huge_numbers | weird_text, "context": json_values}))
def test_auth_generate_survives_odd_options(api, body) -> None:
    check_generate(api, body)


def check_generate(api, body: Any) -> None:
    if isinstance(body, dict) and body.get("url") in ("double", "double/"):
        body["url"] = api.odoo.url + body["url"][6:]  # only ever the double: no real network
    assert_json_answer(post(api.client, "/auth/generate", body))


@PROFILE
@given(body=st.fixed_dictionaries({"api_key": weird_text | json_values}) | json_values)
def test_auth_validate_survives_any_body(api, body) -> None:
    assert_json_answer(post(api.client, "/auth/validate", body))


@PROFILE
@given(key=header_text, authorization=header_text, request_id=header_text)
def test_any_headers_get_a_json_answer(api, key, authorization, request_id) -> None:
    headers = {"X-API-Key": key, "Authorization": authorization, "X-Request-ID": request_id}
    response = post(api.client, "/tools/call", {"name": "search", "arguments": {
        "model": "res.partner"}}, headers)
    assert_json_answer(response)


@PROFILE
@given(raw=st.binary(max_size=300) | weird_text.map(str.encode))
def test_any_bytes_get_a_json_answer(api, admin_key, raw) -> None:
    for path in ("/tools/call", "/auth/generate", "/auth/validate"):
        assert_json_answer(api.client.post(path, data=raw, headers={"X-API-Key": admin_key}))


# Regressions the fuzzer found: each answered 500 before its fix.

@pytest.mark.parametrize("expires_in", [10**12, 2**62, 10**40])
def test_expiry_beyond_the_calendar_is_refused(api, expires_in) -> None:
    response = api.generate(expires_in=expires_in)
    assert response.status_code == 400 and response.json["status"] == "invalid_request"
    assert "expires_in" in response.json["error"]


def test_offset_beyond_xmlrpc_is_refused(api, admin_key) -> None:
    response = api.call(admin_key, "search", model="res.partner", offset=2**31)
    assert response.status_code == 400 and "offset" in response.json["error"]


@pytest.mark.parametrize("arguments", [
    {"domain": [["id", "=", 2**31]]}, {"context": {"x": -(2**40)}}, {"domain": [["id", "in", [10**30]]]}])
def test_integers_beyond_xmlrpc_are_400_before_odoo(api, admin_key, arguments) -> None:
    response = api.call(admin_key, "search", model="res.partner", **arguments)
    assert response.status_code == 400 and response.json["status"] == "invalid_request"
    assert "2147483647" in response.json["error"]
    assert api.odoo.posts == 0
