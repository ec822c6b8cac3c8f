"""The gateway's use cases, free of HTTP: mint keys and run tools against Odoo.

Checks run in the contract's order: key, then tool and arguments, then scope, then Odoo; so a
bad request, an unknown tool or a denied scope never reaches Odoo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.breaker import CircuitBreaker
from app.config import Settings
from app.errors import AuthFailed, InvalidRequest, PermissionDenied
from app.keys import Credentials, KeyClaims, KeyRing
from app.odoo import OdooConnector
from app.scopes import Scope
from app.sessions import SessionPool
from app.tools import ToolRegistry


class Gateway:
    """Everything a request needs, built once per process from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keyring = KeyRing(settings.encryption_keys)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds)
        self.connector = OdooConnector(settings.odoo_timeout_seconds, breaker=self.breaker)
        self.pool = SessionPool(
            self.connector.authenticate, settings.pool_max_size, settings.pool_ttl_minutes * 60
        )
        self.registry = ToolRegistry(settings.max_limit)

    def close(self) -> None:
        self.connector.close()

    def generate(self, data: dict) -> dict:
        """Check the login with Odoo and mint an API key (``data`` is GenerateSchema's output)."""
        scope = Scope.parse(data["scope"])
        ttl = self._ttl(data.get("expires_in"))
        credentials = Credentials(data["url"], data["database"], data["username"], data["password"])
        uid = self.connector.authenticate(credentials)
        self.pool.put(credentials, uid)
        claims = KeyClaims.new(credentials, str(scope), ttl, data.get("context"))
        return {
            "api_key": self.keyring.seal(claims), "key_id": claims.key_id,
            "expires": iso(claims.expires_at), "user": credentials.username, "uid": uid,
            "scope": claims.scope, "credentials": describe(claims)["credentials"],
        }

    def validate(self, api_key: str) -> dict:
        claims = self.keyring.open(api_key)
        return {"status": "valid", **describe(claims)}

    def open_key(self, api_key: str | None) -> KeyClaims:
        if not api_key:
            raise AuthFailed(
                "Missing API key: send it in the X-API-Key header (or Authorization: Bearer KEY)."
            )
        return self.keyring.open(api_key)

    def call(self, claims: KeyClaims, name: str, arguments: dict) -> dict:
        """Run tool ``name`` with ``arguments`` for the key's owner."""
        tool = self.registry.get(name)
        args = self.registry.load_arguments(tool, arguments)
        model = args["model"]
        if not claims.rules.allows(model, tool.letter):
            raise PermissionDenied(
                f"This API key's scope ({claims.scope}) does not grant {tool.letter} on {model!r}, "
                f"which the tool {name!r} needs: mint a key whose scope includes "
                f"'{model}:{tool.letter}'."
            )
        context = {**claims.context, **args.get("context", {})}
        odoo = self._bound(claims.credentials, model, context, idempotent=tool.letter == "R")
        return {**tool.run(odoo, args), "model": model}

    def _bound(self, credentials: Credentials, model: str, context: dict, idempotent: bool):
        """``odoo(method, args, kwargs)`` for one model, with the session and context applied."""

        def odoo(method: str, args: list, kwargs: dict) -> Any:
            session = self.pool.get(credentials)
            if context:
                kwargs = {**kwargs, "context": context}
            try:
                return self.connector.execute_kw(credentials, session.uid, model, method, args, kwargs,
                                                 idempotent=idempotent)
            except AuthFailed:
                self.pool.drop(credentials)  # the password changed: the session is dead
                raise

        return odoo

    def _ttl(self, expires_in: int | None) -> int | None:
        most = self.settings.key_max_ttl_seconds
        ttl = expires_in or self.settings.key_default_ttl_seconds or most
        if most and (ttl is None or ttl > most):
            raise InvalidRequest(f"expires_in must be at most {most} seconds on this gateway.")
        return ttl


def describe(claims: KeyClaims) -> dict:
    """What a key grants, safe to show: never the password."""
    return {
        "key_id": claims.key_id,
        "expires": iso(claims.expires_at),
        "credentials": {**claims.credentials.public(), "scope": claims.scope},
    }


def iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
