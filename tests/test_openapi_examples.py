"""The docs page works on the first try: every example in /openapi.json fits its schema and is served."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.base import errors
from tests.conftest import Api

TOKEN = "minting-token-for-the-docs-test"
CODES = {cls.code: cls.http_status for cls in vars(errors).values()
         if isinstance(cls, type) and issubclass(cls, errors.GatewayError)}


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").json


def valid(document: dict, schema: dict, value: Any) -> list[str]:
    """The errors of ``value`` against ``schema``, whose $refs point into ``document``."""
    root = {**document, "$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return [error.message for error in Draft202012Validator(root).iter_errors(value)]


def bodies(document: dict) -> list[tuple[str, str, dict]]:
    """(path, example name, value) of every request body example."""
    found = []
    for path, operations in document["paths"].items():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None:
                assert content.get("examples"), f"{path} has a body but no example"
                found += [(path, name, example["value"]) for name, example in content["examples"].items()]
    return found


def test_every_request_example_fits_its_schema(document) -> None:
    checked = 0
    for path, name, value in bodies(document):
        operation = next(iter(document["paths"][path].values()))
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert valid(document, schema, value) == [], (path, name)
        checked += 1
    assert checked >= 20


def test_tools_call_has_one_selectable_example_per_tool(app, document) -> None:
    content = document["paths"]["/tools/call"]["post"]["requestBody"]["content"]["application/json"]
    tools = [tool.name for tool in app.extensions["gateway"].registry.tools()]
    assert list(content["examples"]) == tools
    for name, example in content["examples"].items():
        assert example["value"]["name"] == name and example["summary"].startswith(name)
        # exactly one branch of ToolCall's oneOf: the tool's own
        assert valid(document, {"$ref": f"#/components/schemas/{_camel(name)}Call"}, example["value"]) == []


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def test_every_error_response_has_an_example_of_its_own_status(document) -> None:
    seen = 0
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                media = response["content"]["application/json"]
                example = media["example"]
                assert valid(document, media["schema"], example) == [], (path, status)
                if path == "/mcp":
                    assert example["error"]["code"] < 0
                else:
                    assert CODES.get(example["status"], 503 if example["status"] == "not_ready" else 0) \
                        == int(status), (path, status, example["status"])
                seen += 1
    assert seen > 40


def test_authorize_dialog_says_which_scheme_is_for_what(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert "api_key" in schemes["ApiKeyHeader"]["description"]
    bearer = schemes["BearerKey"]["description"]
    assert "Bearer" in bearer and "API key" in bearer
    assert "Not an API key" in schemes["MintingToken"]["description"]
    assert "GENERATE_TOKEN" in schemes["MintingToken"]["description"]
    for path in ("/auth/generate", "/auth/revoke"):
        assert document["paths"][path]["post"]["security"] == [{"MintingToken": []}, {}]  # optional


def test_index_points_to_the_docs(client) -> None:
    index = client.get("/").json
    assert index["docs"] == "/docs/" and index["openapi"] == "/openapi.json"
    assert {"name", "version", "status"} <= index.keys()
    assert client.get(index["docs"]).status_code == 200 and client.get(index["openapi"]).status_code == 200


def test_every_example_is_accepted_when_sent(make_app, odoo) -> None:
    app = make_app(generate_token=TOKEN, webhook_allow_private=True)
    api = Api(app.test_client(), odoo)
    document = api.client.get("/openapi.json").json
    minting = {"Authorization": f"Bearer {TOKEN}"}
    sent = 0
    for path, name, value in bodies(document):
        odoo.reseed()
        key = api.client.post("/auth/generate", json={
            "url": odoo.url, "database": "demo", "username": "admin", "password": "admin",
            "scope": "*:RWDX"}, headers=minting).json["api_key"]
        if path.startswith("/subscriptions"):  # webhooks: a loopback receiver, never called here
            sent += _subscription_example(api, path, value, key)
            continue
        body = _real(value, odoo.url, key, api)
        url = path.replace("{model}", "res.partner").replace("{record_id}", "2")
        response = api.client.post(url, json=body, headers={"X-API-Key": key, **minting})
        assert response.status_code == 200, (path, name, response.json)
        answer = response.json
        if path == "/tools/batch":
            assert answer["failed"] == 0, answer
        if path == "/mcp":
            assert "error" not in answer and not answer.get("result", {}).get("isError"), answer
        sent += 1
    assert sent >= 20


def _subscription_example(api: Api, path: str, value: dict, key: str) -> int:
    """Send a /subscriptions example (the URL made a loopback one); 1 once it is accepted."""
    headers = {"X-API-Key": key}
    target = {"url": "http://127.0.0.1:9/hook"}
    if "{sub_id}" in path:
        made = api.client.post("/subscriptions", json={"model": "res.partner", **target}, headers=headers)
        path = path.replace("{sub_id}", made.json["id"])
    response = api.client.post(path, json={**value, **(target if "url" in value else {})}, headers=headers)
    assert response.status_code in (200, 201), (path, response.json)
    return 1


def _real(value: dict, url: str, key: str, api: Api) -> dict:
    """The example with its placeholders replaced by the sandbox's values."""
    body = dict(value)
    if "url" in body:
        body.update(url=url, database="demo", username="admin", password="admin")
    if body.get("api_key") == "<the api_key>":
        body["api_key"] = key
    if "key_id" in body:
        body["key_id"] = api.client.post("/auth/validate", json={"api_key": key}).json["key_id"]
    return body
