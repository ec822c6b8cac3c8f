"""The gateway's use cases, free of HTTP: mint keys and run tools against Odoo.

Checks run in the contract's order: key (open, expiry, revocation), then tool and arguments, then
scope, then the URL policy, then Odoo; so a bad request, an unknown tool or a denied scope never
reaches Odoo. (The per-key rate limit sits between the key and the body, in the HTTP layer.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.base.config import Settings
from app.base.errors import AuthFailed, InvalidRequest, KeyRevoked, PermissionDenied
from app.core.access.fieldpolicy import FieldCatalog, FieldGuard, check_key_context
from app.core.access.keys import Credentials, KeyClaims, KeyRing
from app.core.access.scopes import Scope
from app.core.automations.changes import change_tools
from app.core.automations.chatter import CHATTER_TOOLS
from app.core.automations.files import file_tools
from app.core.automations.reports import report_tools
from app.core.automations.upserts import UPSERT_TOOLS
from app.core.automations.wizards import WIZARD_TOOLS
from app.core.business import BUSINESS_TOOLS
from app.core.lean import bound
from app.core.tools import TOOLS, ToolRegistry
from app.odoo.breaker import CircuitBreaker
from app.odoo.json2 import Json2Connector, choose_transport
from app.odoo.jsonrpc import JsonRpcConnector
from app.odoo.sessions import SessionPool
from app.odoo.urlpolicy import UrlPolicy
from app.odoo.websession import WebSessions
from app.odoo.xmlrpc import OdooConnector
from app.stores import idempotency
from app.stores.revocation import build_store


class Gateway:
    """Everything a request needs, built once per process from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keyring = KeyRing(settings.encryption_keys)
        self.policy = UrlPolicy(settings.allowed_odoo_urls, settings.allow_private_odoo)
        self.revocations = build_store(settings.redis_url, settings.revocation_db)
        self.idempotency = idempotency.build_store(settings.redis_url, settings.idempotency_db,
                                                   settings.idempotency_max_entries)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds,
                                      first_probe=settings.breaker_first_probe_seconds)
        self.connector = OdooConnector(
            settings.odoo_timeout_seconds, max_response_bytes=settings.max_response_bytes,
            guard=self.policy.guard_socket, breaker=self.breaker,
        )
        self.json2 = Json2Connector(
            settings.odoo_timeout_seconds, max_response_bytes=settings.max_response_bytes,
            guard=self.policy.guard_socket, breaker=self.breaker,
        )
        self.jsonrpc = JsonRpcConnector(
            settings.odoo_timeout_seconds, max_response_bytes=settings.max_response_bytes,
            guard=self.policy.guard_socket, breaker=self.breaker,
        )
        # Through ``self.connector`` at call time, so a wrapped connector (metrics) is used too.
        self.pool = SessionPool(
            lambda credentials: self.connector.authenticate(credentials),
            settings.pool_max_size, settings.pool_ttl_minutes * 60,
        )
        self.web = WebSessions(settings.report_timeout_seconds, settings.file_max_bytes,
                               settings.pool_max_size, settings.pool_ttl_minutes * 60,
                               guard=self.policy.guard_socket, breaker=self.breaker)
        self.registry = ToolRegistry(settings.max_limit, TOOLS + BUSINESS_TOOLS + UPSERT_TOOLS
                                     + change_tools(settings.changes_lag_seconds)
                                     + automation_tools(settings, self.web))
        self.catalog = FieldCatalog(settings.pool_ttl_minutes * 60)  # fields_get per login and model

    def close(self) -> None:
        self.connector.close()
        self.revocations.close()
        self.idempotency.close()
        self.json2.close()
        self.jsonrpc.close()

    def generate(self, data: dict) -> dict:
        """Check the login with Odoo and mint an API key (``data`` is GenerateSchema's output)."""
        scope = Scope.parse(data["scope"])
        check_key_context(scope, data.get("context"))
        ttl = self._ttl(data.get("expires_in"))
        credentials, transport, uid = self.login(data)
        claims = KeyClaims.new(credentials, str(scope), ttl, data.get("context"), transport=transport)
        return {
            "api_key": self.keyring.seal(claims), "key_id": claims.key_id,
            "expires": iso(claims.expires_at), "user": credentials.username, "uid": uid,
            "scope": claims.scope, "credentials": describe(claims)["credentials"],
            "transport": transport, **_field_rules(scope),
        }

    def login(self, data: dict) -> tuple[Credentials, str, int]:
        """Check a login with Odoo (URL policy first): the credentials, the transport and the uid."""
        credentials = Credentials(data["url"], data["database"], data["username"], data["password"])
        self.policy.check(credentials.url)
        transport = data.get("transport", "xmlrpc")
        if transport == "auto":
            transport, uid = choose_transport(self.connector, self.json2, credentials)
        elif transport == "json2":
            uid = self.json2.authenticate(credentials)
        else:
            uid = self._rpc(transport).authenticate(credentials)
        if transport != "json2":  # XML-RPC and JSON-RPC share sessions: the same login, same uid
            self.pool.put(credentials, uid)
        return credentials, transport, uid

    def issue_offline(self, data: dict) -> dict:
        """Mint a key without asking Odoo (the operators' ``keys issue``); every other check holds."""
        scope = Scope.parse(data["scope"])
        check_key_context(scope, data.get("context"))
        ttl = self._ttl(data.get("expires_in"))
        credentials = Credentials(data["url"], data["database"], data["username"], data["password"])
        self.policy.check(credentials.url)
        claims = KeyClaims.new(credentials, str(scope), ttl, data.get("context"))
        return {"api_key": self.keyring.seal(claims), **describe(claims)}

    def validate(self, api_key: str) -> dict:
        claims = self.open_key(api_key)
        return {"status": "valid", **describe(claims)}

    def open_key(self, api_key: str | None) -> KeyClaims:
        if not api_key:
            raise AuthFailed(
                "Missing API key: send it in the X-API-Key header (or Authorization: Bearer KEY)."
            )
        claims = self.keyring.open(api_key)
        if self.revocations.is_revoked(claims.key_id):
            raise KeyRevoked()
        return claims

    def revoke(self, api_key: str | None = None, key_id: str | None = None) -> dict:
        """Put a key's id on the revocation list: from the key itself, or from its id."""
        if api_key is not None:
            key_id = self.keyring.open_unchecked(api_key).key_id  # an expired key may be revoked
        if not key_id:
            raise InvalidRequest("Send the key to revoke as api_key, or its id as key_id.")
        self.revocations.revoke(key_id)
        return {"status": "revoked", "key_id": key_id}

    def call(self, claims: KeyClaims, name: str, arguments: dict, face: str = "rest") -> dict:
        """Run tool ``name`` with ``arguments`` for the key's owner (``face``: "rest" or "mcp")."""
        tool = self.registry.get(name)
        args = self.registry.load_arguments(tool, arguments)
        model = args["model"]
        letter, method = tool.requires(args)
        for needed in (letter, *tool.also):
            if not claims.rules.allows(model, needed, method):
                grant = f"X({method})" if needed == "X" else needed
                raise PermissionDenied(
                    f"This API key's scope ({claims.scope}) does not grant {grant} on {model!r}, "
                    f"which the tool {name!r}{f' calling {method!r}' if method else ''} needs: mint "
                    f"a key whose scope includes '{model}:{letter}{tool.also}'."
                )
        self.policy.check(claims.credentials.url)  # also for keys minted before the policy changed
        lean = bool(args.pop("lean", face == "mcp")) and bool(tool.fields and tool.fields.lean)
        guard = None
        if claims.rules.field_restricted or lean:
            guard = FieldGuard(claims.rules, self._describer(claims))
            if claims.rules.field_restricted:  # a key minted before minting checked it
                guard.context(claims.context, set(), False, "key's own context key")
            args = guard.prepare(tool, args, lean)
        context = {**claims.context, **args.get("context", {})}
        odoo = self._bound(claims.credentials, model, context, claims.transport,
                           idempotent=tool.letter == "R")
        answer = tool.run(odoo, args)
        if guard is not None:
            answer = guard.filter(tool, model, answer)
        if lean:
            answer = bound(answer, args, self.settings.lean_answer_bytes)
        return {**answer, "model": model}

    def _describer(self, claims: KeyClaims):
        """``describe(model)``: each field's type and relation, cached per login and model."""
        credentials = claims.credentials

        def describe(model: str) -> dict:
            odoo = self._bound(credentials, model, {}, claims.transport, idempotent=True)
            key = (credentials.url, credentials.database, credentials.username, claims.transport, model)
            return self.catalog.get(key, lambda: odoo("fields_get", [], {"attributes": ["type", "relation"]}))

        return describe

    def _bound(self, credentials: Credentials, model: str, context: dict, transport: str,
               idempotent: bool):
        """``odoo(method, args, kwargs)`` for one model, with the session and context applied."""

        def odoo(method: str, args: list, kwargs: dict, model: str = model, nulls: bool = False) -> Any:
            if context or "context" in kwargs:  # a tool's own context (bin_size) goes over the key's
                kwargs = {**kwargs, "context": {**context, **kwargs.get("context", {})}}
            if transport == "json2":  # the API key travels with every call: no session
                return self.json2.execute_kw(credentials, 0, model, method, args, kwargs)
            # An answer that may hold None (a wizard's action) goes over /jsonrpc: Odoo's XML-RPC
            # faults on None after the work is committed, and the answer would be lost.
            rpc = self._rpc("jsonrpc" if nulls else transport)
            session = self.pool.get(credentials, rpc.authenticate)
            try:
                return rpc.execute_kw(credentials, session.uid, model, method, args, kwargs,
                                      idempotent=idempotent)
            except AuthFailed:
                self.pool.drop(credentials)  # the password changed: the session is dead
                raise

        odoo.credentials = credentials  # type: ignore[attr-defined]  # reports log in to the web side
        return odoo

    def _rpc(self, transport: str):  # type: ignore[no-untyped-def]
        """The connector of a session-based transport: XML-RPC, or its JSON twin /jsonrpc."""
        return self.jsonrpc if transport == "jsonrpc" else self.connector

    def _ttl(self, expires_in: int | None) -> int | None:
        most = self.settings.key_max_ttl_seconds
        ttl = expires_in or self.settings.key_default_ttl_seconds or most
        if most and (ttl is None or ttl > most):
            raise InvalidRequest(f"expires_in must be at most {most} seconds on this gateway.")
        return ttl


def automation_tools(settings: Settings, web: WebSessions) -> tuple:
    """Files, reports, chatter and wizards (issue 14 items 1-4)."""
    return (file_tools(settings.file_max_bytes) + report_tools(web, settings.file_max_bytes)
            + CHATTER_TOOLS + WIZARD_TOOLS)


def describe(claims: KeyClaims) -> dict:
    """What a key grants, safe to show: never the password."""
    return {
        "key_id": claims.key_id,
        "expires": iso(claims.expires_at),
        "credentials": {**claims.credentials.public(), "scope": claims.scope},
        "transport": claims.transport,
        **_field_rules(claims.rules),
    }


def _field_rules(scope: Scope) -> dict:
    """``{"field_rules": [...]}`` when the scope has some (answers keep their shape otherwise)."""
    rules = scope.field_rules()
    return {"field_rules": rules} if rules else {}


def iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
