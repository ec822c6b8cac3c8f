"""The official MCP SDK's Streamable HTTP client against the gateway under gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
import requests
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.test_gunicorn import serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(odoo_server) -> Iterator[str]:
    """One gunicorn for the module: the MCP client's tests only read or are refused."""
    with serving({}) as base:
        yield base


@pytest.fixture
def mint(odoo, served):
    def key(scope: str) -> str:
        minted = requests.post(served + "/auth/generate", timeout=10, json={
            "url": odoo.url, "database": "demo", "username": "admin", "password": "admin",
            "scope": scope})
        assert minted.status_code == 200, minted.text
        return minted.json()["api_key"]

    return key


def session_run(base: str, headers: dict[str, str], steps) -> Any:
    """Connect the SDK client with ``headers`` and run ``await steps(session)``, synchronously.

    An MCPError is returned rather than raised: raised, anyio wraps it in task-group exception groups.
    """

    async def main() -> Any:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(base + "/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            try:
                return await steps(session)
            except MCPError as error:
                return error

    return anyio.run(main)


def test_sdk_client_initializes_lists_and_calls(served, mint) -> None:
    key = mint("*:R")

    async def steps(session: ClientSession) -> tuple:
        initialized = await session.initialize()
        await session.send_ping()
        listed = await session.list_tools()
        called = await session.call_tool(
            "search_read", {"model": "res.partner", "limit": 2, "fields": ["name"]})
        return initialized, listed, called

    initialized, listed, called = session_run(served, {"Authorization": f"Bearer {key}"}, steps)
    assert initialized.protocol_version == "2025-11-25"
    assert initialized.server_info.name == "odoo-gateway"
    names = {tool.name for tool in listed.tools}
    assert {"search_read", "read", "fields_get"} <= names
    assert not names & {"create", "write", "unlink"}  # *:R grants W and D on no model
    search_read = next(tool for tool in listed.tools if tool.name == "search_read")
    assert search_read.annotations.read_only_hint is True
    assert search_read.input_schema["required"] == ["model"]
    assert called.is_error is False
    assert called.structured_content["count"] == 2
    assert called.structured_content["model"] == "res.partner"
    assert [set(r) for r in called.structured_content["records"]] == [{"id", "name"}] * 2
    assert '"records"' in called.content[0].text


def test_sdk_client_sees_a_scope_denial_as_a_tool_error(served, mint) -> None:
    key = mint("res.partner:RW,*:R")

    async def steps(session: ClientSession):
        await session.initialize()
        listed = await session.list_tools()
        denied = await session.call_tool("unlink", {"model": "res.partner", "ids": [1]})
        return listed, denied

    listed, denied = session_run(served, {"X-API-Key": key}, steps)
    names = {tool.name for tool in listed.tools}
    assert {"create", "write"} <= names and "unlink" not in names
    assert denied.is_error is True
    assert denied.structured_content["status"] == "permission_denied"
    assert denied.content[0].text.startswith("permission_denied: ")


def test_sdk_client_is_refused_without_a_key(served) -> None:
    async def steps(session: ClientSession):
        return await session.initialize()

    refused = session_run(served, {}, steps)
    assert isinstance(refused, MCPError) and refused.code == -32001
    assert refused.error.data["status"] == "auth_failed"


def test_sdk_client_is_refused_with_a_tampered_key(served, mint) -> None:
    key = mint("*:R")

    async def steps(session: ClientSession):
        return await session.initialize()

    refused = session_run(served, {"Authorization": f"Bearer {key[:-4]}AAAA"}, steps)
    assert isinstance(refused, MCPError) and refused.error.data["status"] == "auth_failed"


def test_sdk_high_level_client_falls_back_from_discover_to_initialize(served, mint) -> None:
    """``Client`` probes 2026-07-28's server/discover first; this server answers it as unsupported."""
    key = mint("*:R")

    async def main():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            transport = streamable_http_client(served + "/mcp", http_client=http)
            async with Client(transport) as client:
                counted = await client.call_tool("search_count", {"model": "res.partner"})
                return client.session.protocol_version, counted

    version, counted = anyio.run(main)
    assert version == "2025-11-25"
    assert counted.is_error is False and counted.structured_content["count"] > 0
