"""OAuth clients: dynamic registration (RFC 7591) of public clients, and the discovery documents.

A client is public (``token_endpoint_auth_method`` is always ``none``: PKCE, not a secret, proves
that the client that asked for a code is the one redeeming it). Its redirect URIs are https, or
http on a loopback host (RFC 8252 native apps); the count of live clients is bounded.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.base.errors import GatewayError
from app.stores.oauth import OAuthStore

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_REDIRECT_URIS = 10
GRANT_TYPES = ("authorization_code", "refresh_token")


class OAuthError(GatewayError):
    """An OAuth error answer; ``code`` is the RFC 6749 / RFC 7591 error code."""

    http_status, code = 400, "invalid_request"

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code, self.http_status = code, http_status


@dataclass(frozen=True)
class Client:
    """A registered client: its id, its name and the redirect URIs it may receive codes at."""

    client_id: str
    redirect_uris: tuple[str, ...]
    client_name: str

    def to_json(self) -> str:
        return json.dumps({"i": self.client_id, "r": list(self.redirect_uris), "n": self.client_name})

    @classmethod
    def from_json(cls, raw: str) -> Client:
        body = json.loads(raw)
        return cls(body["i"], tuple(body["r"]), body["n"])


def redirect_uri_problem(uri: Any) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or None when it can."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        return "each redirect URI must be a string of at most 2000 characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{uri!r} is not a valid URL"
    if parts.fragment or "#" in uri or parts.username is not None or not parts.hostname:
        return f"{uri!r} must have a host and no fragment or user info"
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return None
    return f"{uri!r} must use https, or http on a loopback host (127.0.0.1, [::1], localhost)"


def registered(uri: str, client: Client) -> bool:
    """Whether ``uri`` is one of the client's redirect URIs; on loopback any port (RFC 8252 7.3)."""
    if uri in client.redirect_uris:
        return True
    try:
        given = urlsplit(uri)
        given.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if given.scheme != "http" or given.hostname not in LOOPBACK_HOSTS:
        return False
    return any(
        (known.scheme, known.hostname, known.path, known.query) ==
        (given.scheme, given.hostname, given.path, given.query)
        for known in map(urlsplit, client.redirect_uris)
    )


class ClientRegistry:
    """Registers clients and finds them again; a client lives ``ttl`` seconds from its last use."""

    def __init__(self, store: OAuthStore, max_clients: int, ttl: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.max_clients, self.ttl, self.clock = store, max_clients, ttl, clock

    def register(self, body: Any) -> dict:
        """Register a public client from RFC 7591 metadata; answers the client information."""
        if not isinstance(body, dict):
            raise OAuthError("invalid_client_metadata", "The registration body must be a JSON object.")
        uris = body.get("redirect_uris")
        if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
            raise OAuthError("invalid_redirect_uri",
                             f"redirect_uris must be a list of 1 to {MAX_REDIRECT_URIS} URLs.")
        for uri in uris:
            problem = redirect_uri_problem(uri)
            if problem:
                raise OAuthError("invalid_redirect_uri", f"Redirect URI refused: {problem}.")
        _check_list(body, "grant_types", GRANT_TYPES)
        _check_list(body, "response_types", ("code",))
        name = body.get("client_name", "")
        if not isinstance(name, str) or len(name) > 200:
            raise OAuthError("invalid_client_metadata",
                             "client_name must be a string of at most 200 characters.")
        if self.store.count("client") >= self.max_clients:
            raise OAuthError("temporarily_unavailable", "This gateway has as many registered clients as it "
                             "keeps (OAUTH_MAX_CLIENTS): try again later.", http_status=503)
        client = Client(secrets.token_urlsafe(18), tuple(uris), name.strip() or "An MCP client")
        self.store.put("client", client.client_id, client.to_json(), self.ttl)
        return {
            "client_id": client.client_id, "client_id_issued_at": int(self.clock()),
            "client_name": client.client_name, "redirect_uris": list(client.redirect_uris),
            "token_endpoint_auth_method": "none", "grant_types": list(GRANT_TYPES),
            "response_types": ["code"],
        }

    def find(self, client_id: Any) -> Client | None:
        """The live client ``client_id``, its life renewed; None when unknown or expired."""
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
            return None
        raw = self.store.get("client", client_id)
        if raw is None:
            return None
        self.store.put("client", client_id, raw, self.ttl)
        return Client.from_json(raw)


def _check_list(body: dict, name: str, allowed: tuple[str, ...]) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, list) or not set(value) <= set(allowed):
        raise OAuthError("invalid_client_metadata", f"{name} may hold only {', '.join(allowed)}.")


def server_metadata(issuer: str) -> dict:
    """The authorization server's metadata (RFC 8414)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "registration_endpoint": f"{issuer}/oauth/register",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "response_types_supported": ["code"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "service_documentation": f"{issuer}/docs",
    }


def resource_metadata(issuer: str) -> dict:
    """The protected resource's metadata (RFC 9728): /mcp, signed in to through this gateway."""
    return {
        "resource": f"{issuer}/mcp",
        "authorization_servers": [issuer],
        "bearer_methods_supported": ["header"],
        "resource_name": "Odoo Gateway",
        "resource_documentation": f"{issuer}/docs",
    }
