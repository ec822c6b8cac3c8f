"""OAuth 2.1 sign-in for MCP clients: one-time codes with PKCE, then gateway keys as access tokens.

The flow (docs/oauth.md)::

    GET  /oauth/authorize   check_request: client, redirect URI, S256 challenge, resource
    POST /oauth/authorize   approve: the person's Odoo login, checked like /auth/generate, and a
                            scope within OAUTH_MAX_SCOPE -> a one-time code bound to all of the above
    POST /oauth/token       exchange (code + verifier) or refresh -> access token + refresh token

An access token is a gateway key (same scope, expiry and revocation as a minted one) with a short
life. A refresh token is sealed like a key and carries its chain's id and generation; each one is
accepted once (``claim``) and answered with the next generation. Presenting one again (or a code
again) revokes the chain: its later refresh tokens and every access token it issued.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.base.config import ConfigError, Settings
from app.base.errors import GatewayError, ScopeInvalid
from app.base.urls import DEFAULT_PORTS, parse_pattern
from app.core.access.keys import Credentials, KeyClaims
from app.core.access.scope_bounds import within
from app.core.access.scopes import Scope
from app.core.oauth.clients import ClientRegistry, OAuthError, registered
from app.core.schemas import GenerateSchema, load
from app.stores.oauth import OAuthStore

CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_LOGIN = GenerateSchema(only=("url", "database", "username", "password"))
SIGN_IN_SECONDS = 900  # how long a sign-in page may stay open before it must be reloaded


class PageError(GatewayError):
    """A refusal shown on an error page, never sent to a redirect URI that was not checked."""

    http_status, code = 400, "invalid_request"


class RedirectError(OAuthError):
    """A refusal sent back to the client's (registered) redirect URI."""

    def __init__(self, code: str, message: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(code, message)
        self.redirect_uri, self.state = redirect_uri, state

    def location(self) -> str:
        return with_query(self.redirect_uri, error=self.code, error_description=self.message,
                          state=self.state)


@dataclass(frozen=True)
class Pending:
    """A checked authorization request, waiting for the person to sign in."""

    client_id: str
    client_name: str
    redirect_uri: str
    state: str | None
    challenge: str
    resource: str
    requested_scope: str | None  # the client's wish, in gateway grammar; the person decides


class OAuthService:
    """The flows, over a client registry, the OAuth store and the gateway's keys and revocations."""

    def __init__(self, settings: Settings, gateway: Any, store: OAuthStore,
                 clock: Callable[[], float] = time.time) -> None:
        try:
            self.max_scope = Scope.parse(settings.oauth_max_scope)
        except ScopeInvalid as error:
            raise ConfigError(f"OAUTH_MAX_SCOPE: {error.message}") from None
        self.settings, self.gateway, self.store, self.clock = settings, gateway, store, clock
        self.clients = ClientRegistry(store, settings.oauth_max_clients,
                                      settings.oauth_refresh_ttl_seconds, lambda: self.clock())
        self._fernet = MultiFernet([Fernet(key) for key in settings.encryption_keys])
        most = settings.key_max_ttl_seconds
        self.access_ttl = min(settings.oauth_access_ttl_seconds, most or settings.oauth_access_ttl_seconds)
        # What the sign-in page does not ask: the one Odoo the URL policy allows, the set database.
        self.fixed = {name: value for name, value in (("url", pinned_odoo(settings.allowed_odoo_urls)),
                                                      ("database", settings.oauth_odoo_database)) if value}

    # -- the authorization endpoint -------------------------------------------------------------

    def check_request(self, params: Mapping[str, str], issuer: str) -> Pending:
        """The authorization request, checked; PageError until the redirect URI is known good."""
        client = self.clients.find(params.get("client_id"))
        if client is None:
            raise PageError("This sign-in link names a client this gateway does not know (or no longer "
                            "keeps): start the connection again from your assistant.")
        only = client.redirect_uris[0] if len(client.redirect_uris) == 1 else ""
        redirect_uri = params.get("redirect_uri") or only
        if not registered(redirect_uri, client):
            raise PageError("This sign-in link's redirect_uri was not registered by its client: the "
                            "gateway sends codes only to registered addresses.")
        state = params.get("state")

        def refuse(code: str, message: str) -> RedirectError:
            return RedirectError(code, message, redirect_uri, state)

        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", "Only response_type=code is supported.")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not CHALLENGE.match(challenge):
            raise refuse("invalid_request",
                         "PKCE is required: send code_challenge with code_challenge_method=S256.")
        resource = self._resource(params.get("resource"), issuer)
        if resource is None:
            raise refuse("invalid_target",
                         f"This gateway protects {issuer}/mcp only (the resource parameter).")
        return Pending(client.client_id, client.client_name, redirect_uri, state, params["code_challenge"],
                       resource, requested_scope(params.get("scope")))

    def seal_pending(self, pending: Pending, csrf: str) -> str:
        """The request as a sealed form field, bound to the page's CSRF token."""
        return self._seal({"p": asdict(pending), "c": _digest(csrf)})

    def open_pending(self, sealed: str, csrf: str) -> Pending:
        """The request behind a submitted form; PageError when forged, stale or not bound to ``csrf``."""
        body = self._open(sealed, ttl=SIGN_IN_SECONDS)
        if body is None or "p" not in body or not secrets.compare_digest(body.get("c", ""), _digest(csrf)):
            raise PageError("This sign-in form expired or was not issued by this gateway: start the "
                            "connection again from your assistant.", )
        return Pending(**body["p"])

    def approve(self, pending: Pending, login: dict, scope_text: str) -> str:
        """Check the scope and the Odoo login, store a one-time code; answers the redirect location."""
        scope = self.check_scope(scope_text)
        data = load(_LOGIN, login, "sign-in")
        credentials, transport, _uid = self.gateway.login({**data, "transport": "auto"})
        code = secrets.token_urlsafe(32)
        payload = {"p": asdict(pending), "s": str(scope), "x": transport, "c": _credentials(credentials),
                   "e": self.clock() + self.settings.oauth_code_ttl_seconds}
        self.store.put("code", _digest(code), self._seal(payload), self.settings.oauth_code_ttl_seconds)
        return with_query(pending.redirect_uri, code=code, state=pending.state)

    def check_scope(self, text: str) -> Scope:
        """The chosen scope; ScopeInvalid when it does not parse or is wider than OAUTH_MAX_SCOPE."""
        scope = Scope.parse(text)
        if not within(scope, self.max_scope):
            raise ScopeInvalid(f"The scope {scope} is wider than this gateway allows ({self.max_scope}, "
                               "OAUTH_MAX_SCOPE): choose a narrower one.")
        return scope

    # -- the token endpoint ---------------------------------------------------------------------

    def token(self, form: Mapping[str, str], issuer: str) -> dict:
        """RFC 6749 section 5.1's answer for an authorization_code or refresh_token grant."""
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form, issuer)
        if grant_type == "refresh_token":
            return self._refresh(form, issuer)
        raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")

    def _exchange(self, form: Mapping[str, str], issuer: str) -> dict:
        code = form.get("code", "")
        digest = _digest(code)
        payload = self._open(self.store.get("code", digest) or "")
        if not code or payload is None or payload["e"] <= self.clock():
            raise OAuthError("invalid_grant", "The code is unknown or expired: sign in again.")
        chain = secrets.token_hex(16)
        # The mark names the chain the code starts, so that a replay revokes it even mid-exchange;
        # kept as long as the code itself: after that a replay is refused as unknown anyway.
        if not self.store.claim("code_used", digest, chain, self.settings.oauth_code_ttl_seconds):
            self.revoke_chain(self.store.get("code_used", digest))
            raise OAuthError("invalid_grant", "The code was already used; the tokens it gave are revoked.")
        pending = Pending(**payload["p"])
        if form.get("client_id") != pending.client_id or form.get("redirect_uri") != pending.redirect_uri:
            raise OAuthError("invalid_grant", "The code was issued to another client or redirect_uri.")
        self._check_resource(form.get("resource"), pending.resource, issuer)
        verifier = form.get("code_verifier", "")
        if not VERIFIER.match(verifier) or not secrets.compare_digest(_s256(verifier), pending.challenge):
            raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge (PKCE).")
        return self._issue(chain, 0, pending.client_id, pending.resource, payload)

    def _refresh(self, form: Mapping[str, str], issuer: str) -> dict:
        token = self._open(form.get("refresh_token", ""))
        if token is None or token.get("k") != "refresh" or token["e"] <= self.clock():
            raise OAuthError("invalid_grant", "The refresh token is unknown or expired: sign in again.")
        if form.get("client_id") != token["client"]:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        self._check_resource(form.get("resource"), token["r"], issuer)
        chain, generation = token["chain"], token["g"]
        if self.store.get("chain_revoked", chain) is not None:
            raise OAuthError("invalid_grant", "This sign-in was revoked: sign in again.")
        if not self.store.claim("refresh_used", f"{chain}:{generation}", "1",
                                self.settings.oauth_refresh_ttl_seconds):
            self.revoke_chain(chain)
            raise OAuthError("invalid_grant", "The refresh token was already used: this sign-in and its "
                             "tokens are revoked; sign in again.")
        return self._issue(chain, generation + 1, token["client"], token["r"], token)

    def _issue(self, chain: str, generation: int, client_id: str, resource: str, grant: dict) -> dict:
        """A new access token (a gateway key) and the chain's next refresh token."""
        c = grant["c"]
        credentials = Credentials(c["u"], c["d"], c["n"], c["p"])
        claims = KeyClaims.new(credentials, grant["s"], self.access_ttl, None, now=self.clock(),
                               transport=grant["x"])
        refresh_ttl = self.settings.oauth_refresh_ttl_seconds
        self.store.add("chain_keys", chain, claims.key_id, max(refresh_ttl, self.access_ttl))
        if self.store.get("chain_revoked", chain) is not None:  # revoked by a replay meanwhile
            self.gateway.revocations.revoke(claims.key_id)
            raise OAuthError("invalid_grant", "This sign-in was revoked: sign in again.")
        refresh = {"k": "refresh", "chain": chain, "g": generation, "client": client_id, "r": resource,
                   "s": grant["s"], "x": grant["x"], "c": c, "e": self.clock() + refresh_ttl}
        return {
            "access_token": self.gateway.keyring.seal(claims), "token_type": "Bearer",
            "expires_in": self.access_ttl, "refresh_token": self._seal(refresh),
            "scope": " ".join(grant["s"].split(",")),
        }

    # -- revocation -----------------------------------------------------------------------------

    def revoke(self, form: Mapping[str, str]) -> None:
        """RFC 7009: revoke a refresh token's chain or an access token; unknown tokens are ignored."""
        text = form.get("token", "")
        token = self._open(text)
        if token is not None and token.get("k") == "refresh":
            if form.get("client_id") in (None, token["client"]):
                self.revoke_chain(token["chain"])
            return
        with contextlib.suppress(GatewayError):  # RFC 7009 section 2.2: an invalid token is no error
            self.gateway.revoke(api_key=text)

    def revoke_chain(self, chain: str | None) -> None:
        """Refuse the chain's refresh tokens and revoke every access token it issued."""
        if not chain:
            return
        self.store.put("chain_revoked", chain, "1", self.settings.oauth_refresh_ttl_seconds)
        for key_id in self.store.members("chain_keys", chain):
            self.gateway.revocations.revoke(key_id)

    # -- helpers --------------------------------------------------------------------------------

    def _resource(self, given: str | None, issuer: str) -> str | None:
        """The resource a code is bound to: /mcp (absent means /mcp too); None when it is not ours."""
        ours = f"{issuer}/mcp"
        if given is None or given.rstrip("/") in (ours, issuer):
            return ours
        return None

    def _check_resource(self, given: str | None, bound: str, issuer: str) -> None:
        if given is not None and self._resource(given, issuer) != bound:
            raise OAuthError("invalid_target", f"The tokens are for {bound} only (the resource parameter).")

    def _seal(self, body: dict) -> str:
        return self._fernet.encrypt(json.dumps(body, separators=(",", ":")).encode()).decode()

    def _open(self, sealed: str, ttl: int | None = None) -> dict | None:
        if not sealed or len(sealed) > 16_384:
            return None
        try:
            body = json.loads(self._fernet.decrypt(sealed.encode("ascii"), ttl=ttl))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return None
        return body if isinstance(body, dict) else None


def requested_scope(oauth_scope: str | None) -> str | None:
    """The client's OAuth scope (space-separated gateway entries) in gateway grammar, if it parses."""
    entries = [part for part in (oauth_scope or "").split() if ":" in part]  # drops offline_access ...
    try:
        return str(Scope.parse(",".join(entries))) if entries else None
    except ScopeInvalid:
        return None


def pinned_odoo(allowed: tuple[str, ...]) -> str | None:
    """The Odoo URL when ALLOWED_ODOO_URLS names exactly one, without a wildcard; else None."""
    if len(allowed) != 1:
        return None
    pattern = parse_pattern(allowed[0])
    if pattern.host.startswith("*."):
        return None
    host = f"[{pattern.host}]" if ":" in pattern.host else pattern.host
    port = "" if DEFAULT_PORTS[pattern.scheme] == pattern.port else f":{pattern.port}"
    return f"{pattern.scheme}://{host}{port}"


def with_query(url: str, **params: str | None) -> str:
    """``url`` with ``params`` (None values left out) added to its query."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def _credentials(credentials: Credentials) -> dict:
    return {"u": credentials.url, "d": credentials.database, "n": credentials.username,
            "p": credentials.password}
