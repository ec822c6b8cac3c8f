"""One log line per request: JSON (LOG_FORMAT=json) or text, with the caller's request id, no secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from app.base.config import Settings
from app.base.logs import JsonFormatter
from tests.conftest import SECRET, Collect


@pytest.fixture
def json_lines(make_app) -> Iterator[tuple]:
    """An app logging JSON, and the lines its handler's formatter writes."""
    app = make_app(log_format="json")
    logger = logging.getLogger("odoo_gateway")
    ours = next(h for h in logger.handlers if getattr(h, "_gateway", False))
    collect = Collect()
    collect.setFormatter(ours.formatter)
    logger.addHandler(collect)
    yield app, collect.lines
    logger.removeHandler(collect)


def test_request_line_is_json_with_the_callers_request_id(api, json_lines) -> None:
    app, lines = json_lines
    api.client = app.test_client()
    key = api.key()
    answer = api.client.post("/tools/call", headers={"X-API-Key": key, "X-Request-ID": "n8n-run-42"},
                             json={"name": "search_read", "arguments": {"model": "res.partner", "limit": 1}})
    assert answer.headers["X-Request-ID"] == "n8n-run-42"
    entries = [json.loads(line) for line in lines]
    entry = next(e for e in entries if e.get("request_id") == "n8n-run-42")
    assert entry["message"] == "request" and entry["level"] == "INFO" and entry["time"].endswith("Z")
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/tools/call", 200)
    assert entry["tool"] == "search_read" and entry["model"] == "res.partner"
    assert entry["odoo_host"] == api.odoo.url.split("//")[1] and isinstance(entry["duration_ms"], float)
    assert entry["key_id"] == api.client.post("/auth/validate", json={"api_key": key}).json["key_id"]
    assert key not in "\n".join(lines)


def test_request_id_is_generated_when_missing_or_unusable(json_lines) -> None:
    app, lines = json_lines
    client = app.test_client()
    generated = client.get("/health").headers["X-Request-ID"]
    refused = client.get("/health", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(generated) == 32 and len(refused) == 32 and generated != refused
    assert [json.loads(line)["request_id"] for line in lines[-2:]] == [generated, refused]


def test_errors_answers_and_secrets_in_json_lines(api, json_lines) -> None:
    app, lines = json_lines
    api.client = app.test_client()
    key = api.key()
    answer = api.client.post("/tools/call", headers={"X-API-Key": key}, json={"name": "search"})
    assert answer.status_code == 400 and answer.json["request_id"] == answer.headers["X-Request-ID"]
    logging.getLogger("odoo_gateway").error("leaked %s", key)
    entries = [json.loads(line) for line in lines]
    assert entries[-2]["status"] == 400 and entries[-1]["message"] == "leaked [REDACTED]"
    assert key not in "\n".join(lines)


def test_text_format_stays_readable(make_app, gateway_logs) -> None:
    make_app(log_format="text").test_client().get("/health", headers={"X-Request-ID": "abc"})
    logger = logging.getLogger("odoo_gateway")
    ours = next(h for h in logger.handlers if getattr(h, "_gateway", False))
    assert ours.formatter is not None and not isinstance(ours.formatter, JsonFormatter)
    assert any(line.startswith("request_id=abc GET /health status=200") for line in gateway_logs)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ("text", True)),
    ({"LOG_FORMAT": "JSON", "METRICS_ENABLED": "false"}, ("json", False)),
    ({"LOG_FORMAT": "text", "METRICS_ENABLED": "1"}, ("text", True)),
])
def test_settings_read_log_format_and_metrics(env, expected) -> None:
    settings = Settings.from_env({"ENCRYPTION_KEY": SECRET.decode(), **env})
    assert (settings.log_format, settings.metrics_enabled) == expected


@pytest.mark.parametrize(("env", "named"), [
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"METRICS_ENABLED": "maybe"}, "METRICS_ENABLED"),
    ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/metrics"}, "PROMETHEUS_MULTIPROC_DIR"),
])
def test_bad_operations_settings_name_the_variable(env, named) -> None:
    from app.base.config import ConfigError

    with pytest.raises(ConfigError, match=named):
        Settings.from_env({"ENCRYPTION_KEY": SECRET.decode(), **env})
