"""Fixtures: the Odoo double over real HTTP, the app, and an ``api`` helper for multi-step calls."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.base.config import Settings
from sandbox import API_KEYS, OdooDouble

SECRET = Fernet.generate_key()
ADMIN_API_KEY = API_KEYS["demo"]["admin"][0]


@pytest.fixture(scope="session")
def odoo_server() -> Iterator[OdooDouble]:
    double = OdooDouble().start()
    yield double
    double.stop()


@pytest.fixture
def odoo(odoo_server: OdooDouble) -> OdooDouble:
    """The double, re-seeded, with no recorded calls, latency or failure."""
    odoo_server.reset()
    return odoo_server


# Each app gets a webhook store of its own (not the host's default file, shared by every run).
WEBHOOK_DIR = tempfile.TemporaryDirectory(prefix="gateway-tests-webhooks-")


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"encryption_keys": (SECRET,), "odoo_timeout_seconds": 3.0,
                              "webhook_db": os.path.join(WEBHOOK_DIR.name, f"{uuid.uuid4().hex}.sqlite3"),
                              # Tests mint many keys from one address; rate-limit tests set small limits.
                              "generate_rate_limit": "10000/minute", "rate_limit": "100000/minute"}
    values.update(overrides)
    return Settings(**values).checked()


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def make_app(odoo: OdooDouble) -> Iterator:
    """Builds apps with setting overrides; closes their Odoo connections afterwards."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        made.append(create_app(make_settings(**overrides)))
        return made[-1]

    yield build
    for app in made:
        app.extensions["gateway"].close()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """Turns the multi-step HTTP actions of the tests into one call each."""

    def __init__(self, client: FlaskClient, odoo: OdooDouble) -> None:
        self.client = client
        self.odoo = odoo

    def generate(self, **fields: Any):
        body = {"url": self.odoo.url, "database": "demo", "username": "admin",
                "password": "admin", "scope": "*:RWD"}
        body.update(fields)
        return self.client.post("/auth/generate", json={k: v for k, v in body.items()
                                                        if v is not None})

    def key(self, **fields: Any) -> str:
        response = self.generate(**fields)
        assert response.status_code == 200, response.json
        return response.json["api_key"]

    def call(self, key: str | None, name: str, **arguments: Any):
        headers = {"X-API-Key": key} if key else {}
        return self.client.post("/tools/call", json={"name": name, "arguments": arguments},
                                headers=headers)

    def result(self, key: str, name: str, **arguments: Any) -> Any:
        response = self.call(key, name, **arguments)
        assert response.status_code == 200, response.json
        return response.json["result"]

    def odoo_calls(self, model_method: str | None = None) -> list:
        return [c for c in self.odoo.calls if c.method == "execute_kw"
                and (model_method is None or c.model_method == model_method)]


@pytest.fixture
def api(client: FlaskClient, odoo: OdooDouble) -> Api:
    return Api(client, odoo)


@pytest.fixture
def admin_key(api: Api) -> str:
    key = api.key()
    api.odoo.clear_calls()
    return key


@pytest.fixture(params=["xmlrpc", "jsonrpc", "json2"])
def transport(request: pytest.FixtureRequest, odoo: OdooDouble) -> str:
    """Each transport in turn (XML-RPC, /jsonrpc, JSON-2); for JSON-2 the double plays Odoo 19."""
    if request.param == "json2":
        odoo.version = "19.0"
    return request.param


@pytest.fixture
def any_key(api: Api, transport: str) -> str:
    """An admin key (scope *:RWDX, Odoo API key) over each transport; calls so far forgotten."""
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope="*:RWDX")
    api.odoo.clear_calls()
    return key


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def gateway_logs(app: Flask) -> Iterator[list[str]]:
    """Every line the gateway's logger writes during the test, formatted (with tracebacks)."""
    handler = Collect()
    logger = logging.getLogger("odoo_gateway")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)
