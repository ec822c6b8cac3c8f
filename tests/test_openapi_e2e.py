"""The OpenAPI document: valid, generated from the schemas, and covering every route and tool."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.api.openapi import openapi_path
from app.api.responses import TOOL_RESULTS

NOT_API = {"static", "docs.show"}  # the docs page and its assets


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json


def test_document_validates(document) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_and_method_is_documented(app, document) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_API:
            continue
        operations = document["paths"].get(openapi_path(rule.rule))
        assert operations is not None, f"{rule.rule} is missing: decorate its view with @documented"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in operations, f"{method} {rule.rule} is missing"


def test_every_tool_has_arguments_a_call_body_and_a_result(client, document) -> None:
    schemas = document["components"]["schemas"]
    tools = client.get("/tools/list").json["tools"]
    call = schemas["ToolCall"]
    assert call["discriminator"]["propertyName"] == "name"
    assert len(call["oneOf"]) == len(tools)
    for tool in tools:
        body = schemas[call["discriminator"]["mapping"][tool["name"]].rsplit("/", 1)[1]]
        assert body["properties"]["name"]["enum"] == [tool["name"]]
        arguments = schemas[body["properties"]["arguments"]["$ref"].rsplit("/", 1)[1]]
        # The same schema as the one /tools/list shows and the one that validates the call.
        assert arguments["properties"].keys() == tool["inputSchema"]["properties"].keys()
        assert arguments["required"] == tool["inputSchema"]["required"]
        assert arguments["additionalProperties"] is False
        assert tool["name"] in TOOL_RESULTS, f"add a result schema for {tool['name']} to app/responses.py"
    answers = schemas["ToolAnswer"]["properties"]["result"]["anyOf"]
    assert {a["$ref"].rsplit("/", 1)[1] for a in answers} == {s.__name__ for s in TOOL_RESULTS.values()}


def test_limits_in_the_document_follow_the_settings(make_app) -> None:
    document = make_app(max_limit=250).test_client().get("/openapi.json").json
    limit = document["components"]["schemas"]["SearchReadArguments"]["properties"]["limit"]
    assert limit["maximum"] == 250


def test_call_documents_security_and_the_error_shape(document) -> None:
    call = document["paths"]["/tools/call"]["post"]
    assert {"ApiKeyHeader": []} in call["security"]
    assert document["components"]["securitySchemes"]["ApiKeyHeader"]["name"] == "X-API-Key"
    for status in ("400", "401", "403", "404", "422", "429", "500", "502", "504"):
        assert call["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "status"}
    assert {"permission_denied", "rate_limited", "not_ready"} <= set(error["properties"]["status"]["enum"])
    generate = document["paths"]["/auth/generate"]["post"]["requestBody"]["content"]["application/json"]
    assert generate["schema"] == {"$ref": "#/components/schemas/Generate"}
    assert "password" in document["components"]["schemas"]["Generate"]["required"]


def test_docs_page_is_served_from_bundled_assets(client) -> None:
    assert client.get("/docs").status_code == 308
    page = client.get("/docs/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/openapi.json" in html
    assert 'src="/docs/swagger-ui-bundle.js"' in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "the page must load nothing from outside"
    script = client.get("/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.get_data()) > 100_000
    script.close()
