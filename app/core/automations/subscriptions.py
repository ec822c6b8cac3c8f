"""Webhook subscriptions: a key with R on a model asks for that model's changes at a URL.

The subscription keeps the key itself (sealed with the gateway's ENCRYPTION_KEY, with its signing
secret) because every delivery runs *as the key*: the change feed is read through
``Gateway.call(claims, "changes", ...)``, so the key's scope, field rules, Odoo login and URL policy
apply to each batch exactly as to a call, and a revoked or expired key stops its subscriptions.

Creating one checks everything a delivery will need before it is stored: the body, R on the
model, the fields and domain against the key's field rules (one dry run of the feed, answered
without reading records) and the target URL against ``WEBHOOK_ALLOWED_URLS`` (no connection).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from marshmallow import Schema, validate
from marshmallow import fields as ma

from app.base.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from app.core import fields as odoo_fields
from app.core.access.keys import KeyClaims
from app.core.automations.changes import ODOO_FORMAT, encode_cursor, parse_time
from app.core.automations.webhook_http import WebhookPolicy, new_secret
from app.core.schemas import load

STATES = ("active", "paused", "disabled", "stopped")
MAX_DEAD = 20  # dead-lettered batches kept per subscription (the newest)


class SubscriptionSchema(Schema):
    model = ma.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"),
                      metadata={"example": "res.partner"})
    url = ma.String(required=True, validate=validate.Length(min=8, max=2048),
                    metadata={"example": "https://n8n.example.com/webhook/odoo-partners"})
    domain = odoo_fields.Domain(load_default=list)
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields",
        metadata={"description": "Fields each event carries (omitted: every field the key may read)"})
    description = ma.String(load_default="", validate=validate.Length(max=500))
    since = ma.String(metadata={"description": "Deliver changes from this UTC time (omitted: from now)",
                                "example": "2026-12-01T00:00:00Z"})


class ReplaySchema(Schema):
    since = ma.String(required=True, metadata={"description": "Deliver again every change from this "
                                                              "UTC time", "example": "2026-12-01T00:00:00Z"})


def _time(text: str) -> datetime:
    try:
        return parse_time(text)
    except Exception:  # marshmallow's ValidationError: one clear 400
        raise InvalidRequest("since: use an ISO time such as 2026-12-01T00:00:00Z.") from None


def iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Subscriptions:
    """Create, list, show, delete, pause, resume and replay subscriptions (free of HTTP)."""

    def __init__(self, store: Any, gateway: Any, policy: WebhookPolicy, encryption_keys: tuple[bytes, ...],
                 max_per_key: int) -> None:
        self.store, self.gateway, self.policy = store, gateway, policy
        self.max_per_key = max_per_key
        self._fernet = MultiFernet([Fernet(k) for k in encryption_keys])

    # --- the API's use cases -------------------------------------------------------------------
    def create(self, claims: KeyClaims, api_key: str, body: Any) -> dict:
        data = load(SubscriptionSchema(), body, "/subscriptions")
        model = data["model"]
        if not claims.rules.allows(model, "R"):
            raise PermissionDenied(f"This API key's scope ({claims.scope}) does not grant R on {model!r}, "
                                   "which a subscription to its changes needs.")
        if len(self.store.by_key(claims.key_id)) >= self.max_per_key:
            raise Conflict(f"This key has {self.max_per_key} subscriptions already (WEBHOOK_MAX_PER_KEY): "
                           "delete one first.")
        self.policy.check(data["url"])  # before anything is stored; resolves, never connects
        feed = {"model": model, "domain": data["domain"], **({"fields": data["fields"]}
                                                             if "fields" in data else {})}
        # A dry run starting after the horizon: scope, field rules and arguments are checked as on
        # every delivery, and the feed answers without reading any record.
        self.gateway.call(claims, "changes", {**feed, "limit": 1, "since": "2999-01-01T00:00:00Z"})
        start = _time(data["since"]) if "since" in data else datetime.now(UTC).replace(tzinfo=None)
        secret = new_secret()
        sub_id = "sub_" + secrets.token_hex(12)
        config = {**feed, "url": data["url"], "description": data["description"], "key_id": claims.key_id,
                  "created_at": time.time(),
                  "sealed": self._seal({"api_key": api_key, "secret": secret})}
        progress = {"cursor": encode_cursor(model, start.strftime(ODOO_FORMAT), 0), "delivered": 0,
                    "failures": 0, "retries": 0, "dead": []}
        self.store.create(sub_id, {"key_id": claims.key_id, "config": json.dumps(config), "state": "active",
                                   "progress": json.dumps(progress), "replay": "", "dead": "[]"})
        return {**self.show(claims, sub_id), "secret": secret}

    def list(self, claims: KeyClaims) -> dict:
        found = [self._public(r, brief=True) for r in self.store.by_key(claims.key_id)]
        return {"subscriptions": found, "count": len(found)}

    def show(self, claims: KeyClaims, sub_id: str) -> dict:
        return self._public(self._own(claims, sub_id))

    def delete(self, claims: KeyClaims, sub_id: str) -> dict:
        self._own(claims, sub_id)
        self.store.delete(sub_id)
        return {"id": sub_id, "status": "deleted"}

    def pause(self, claims: KeyClaims, sub_id: str) -> dict:
        record = self._own(claims, sub_id)
        if record["state"] == "stopped":
            raise Conflict("This subscription's key was revoked or expired: create a new one with a new key.")
        self.store.set(sub_id, state="paused")
        return self.show(claims, sub_id)

    def resume(self, claims: KeyClaims, sub_id: str) -> dict:
        """Deliver again (after a pause or a 410); the batch in flight, if any, is sent first."""
        record = self._own(claims, sub_id)
        if record["state"] == "stopped":
            raise Conflict("This subscription's key was revoked or expired: create a new one with a new key.")
        self.store.set(sub_id, state="active")
        return self.show(claims, sub_id)

    def replay(self, claims: KeyClaims, sub_id: str, body: Any) -> dict:
        """Deliver again every change from ``since``: the dispatcher moves the cursor back."""
        self._own(claims, sub_id)
        since = _time(load(ReplaySchema(), body, "/subscriptions/replay")["since"])
        self.store.set(sub_id, replay=json.dumps({"since": since.strftime(ODOO_FORMAT),
                                                  "nonce": secrets.token_hex(8)}))
        return {**self.show(claims, sub_id), "replay_from": iso(since.replace(tzinfo=UTC).timestamp())}

    # --- shared with the dispatcher ------------------------------------------------------------
    def unseal(self, config: dict) -> dict:
        """``{"api_key", "secret"}`` of a stored subscription."""
        return json.loads(self._fernet.decrypt(config["sealed"].encode()))

    def _seal(self, value: dict) -> str:
        return self._fernet.encrypt(json.dumps(value).encode()).decode()

    def _own(self, claims: KeyClaims, sub_id: str) -> dict:
        record = self.store.get(sub_id) if len(sub_id) < 100 else None
        if record is None or record["key_id"] != claims.key_id:  # another key's: as if it did not exist
            raise NotFound(f"No subscription {sub_id!r} for this key.")
        return record

    @staticmethod
    def _public(record: dict, brief: bool = False) -> dict:
        config, progress = json.loads(record["config"]), json.loads(record["progress"] or "{}")
        answer = {"id": record["id"], "model": config["model"], "url": config["url"],
                  "description": config["description"], "domain": config["domain"],
                  "fields": config.get("fields"), "state": record["state"],
                  "created_at": iso(config["created_at"])}
        if progress.get("reason"):
            answer["reason"] = progress["reason"]
        if brief:
            return answer
        pending = progress.get("pending")
        return {**answer, "cursor_time": _cursor_time(progress.get("cursor")),
                "delivered": progress.get("delivered", 0), "failures": progress.get("failures", 0),
                "retries": progress.get("retries", 0), "last_delivery": progress.get("last_delivery"),
                "last_error": progress.get("last_error"),
                "in_flight": None if not pending else {
                    "webhook_id": pending["id"], "events": len(pending["events"]),
                    "attempts": pending["attempts"], "next_attempt_at": iso(pending["next_at"])},
                "dead_letters": json.loads(record.get("dead") or "[]")}


def _cursor_time(cursor: str | None) -> str | None:
    """The UTC second up to which changes were delivered, read back from the feed's cursor."""
    if not cursor:
        return None
    import base64

    second = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["t"]
    return datetime.strptime(second, ODOO_FORMAT).isoformat() + "Z"
