"""Done-when: the official MCP SDK's OAuth client signs in to the gateway under gunicorn.

Discovery (401 -> protected-resource metadata -> authorization-server metadata), dynamic
registration, the sign-in page (the SDK's redirect handler gets the authorization URL; the test
fills the page over HTTP; the callback handler returns the code), the token exchange, a
``tools/call`` with the access token, then a refresh; then the first refresh token, reused,
revokes the whole chain.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import httpx2
import pytest
import requests
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.oauth_flow import REDIRECT, hidden_fields, query_of
from tests.test_gunicorn import serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(odoo_server, tmp_path_factory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("oauth") / "oauth.sqlite3"
    revoked = db.parent / "revoked.sqlite3"
    with serving({"OAUTH_ENABLED": "true", "OAUTH_MAX_SCOPE": "*:RW", "OAUTH_DB": str(db),
                                    "REVOCATION_DB": str(revoked)}) as base:
        yield base


class MemoryStorage:
    """The SDK's TokenStorage, in memory; keeps every token set it was given."""

    def __init__(self) -> None:
        self.history: list[OAuthToken] = []
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.history[-1] if self.history else None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.history.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Person:
    """Plays the person at the browser: opens the authorization URL, signs in, reads the redirect."""

    def __init__(self, odoo_url: str) -> None:
        self.odoo_url = odoo_url
        self.location = ""
        self.steps: list[str] = []

    async def redirect_handler(self, authorization_url: str) -> None:
        self.steps.append(authorization_url)
        self.location = await anyio.to_thread.run_sync(self._sign_in, authorization_url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        params = query_of(self.location)
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"))

    def _sign_in(self, url: str) -> str:
        with requests.Session() as browser:
            page = browser.get(url, timeout=10)
            assert page.status_code == 200, page.text
            form = {**hidden_fields(page.text), "url": self.odoo_url, "database": "demo", "username": "admin",
                    "password": "admin", "scope": "custom", "scope_custom": "res.partner:R"}
            answer = browser.post(url, data=form, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


def test_sdk_oauth_client_signs_in_calls_a_tool_and_refreshes(served, odoo) -> None:
    storage, person = MemoryStorage(), Person(odoo.url)
    provider = OAuthClientProvider(
        server_url=served + "/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="SDK test", redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=person.redirect_handler, callback_handler=person.callback_handler,
    )

    async def main() -> tuple:
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(served + "/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            first = await session.call_tool(
                "search_read", {"model": "res.partner", "limit": 2, "fields": ["name"]})
            denied = await session.call_tool("search_read", {"model": "sale.order", "limit": 1})
            provider.context.token_expiry_time = time.time() - 1  # the access token is due: refresh
            second = await session.call_tool("search_read", {"model": "res.partner", "limit": 1})
            return first, denied, second

    first, denied, second = anyio.run(main)
    assert len(person.steps) == 1  # one sign-in for the whole session
    assert person.steps[0].startswith(served + "/oauth/authorize?")
    assert "code_challenge_method=S256" in person.steps[0] and "resource=" in person.steps[0]
    assert storage.client is not None and storage.client.token_endpoint_auth_method == "none"
    assert first.is_error is False and first.structured_content["count"] == 2
    assert denied.is_error is True and "res.partner:R" in denied.content[0].text  # the scope chosen
    assert second.is_error is False
    assert len(storage.history) == 2  # the exchange, then one refresh
    signed_in, refreshed = storage.history
    assert signed_in.scope == "res.partner:R" and refreshed.scope == "res.partner:R"
    assert refreshed.access_token != signed_in.access_token
    assert refreshed.refresh_token != signed_in.refresh_token

    # The first refresh token, already rotated, comes back: the chain is revoked, keys included.
    reused = requests.post(served + "/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": signed_in.refresh_token,
        "client_id": storage.client.client_id})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    latest = requests.post(served + "/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": refreshed.refresh_token,
        "client_id": storage.client.client_id})
    assert latest.status_code == 400 and "revoked" in latest.json()["error_description"]
    for token in (signed_in.access_token, refreshed.access_token):
        refused = requests.post(served + "/auth/validate", json={"api_key": token}, timeout=10)
        assert refused.status_code == 401 and refused.json()["status"] == "key_revoked"
