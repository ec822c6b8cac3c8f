"""Webhook subscriptions over HTTP: create, list, show, delete, pause, resume, replay.

Thin views over ``app.core.automations.subscriptions``; each checks the key as ``/tools/call``
does (open, expiry, revocation, rate limit). A key sees and changes its own subscriptions only.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from app.api.openapi import documented
from app.api.security import limit_key
from app.api.web import api_key_from_headers, json_body, note
from app.core.automations.subscriptions import ReplaySchema, SubscriptionSchema

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
_ERRORS = (400, 401, 403, 404, 502, 503, 504)
_STATE = {"type": "string", "enum": ["active", "paused", "disabled", "stopped"],
          "description": "active delivers; paused by you; disabled by a 410 or the URL policy "
                         "(resume to deliver again); stopped: the key was revoked or expired"}
_BRIEF = {"type": "object", "required": ["id", "model", "url", "state"], "properties": {
    "id": {"type": "string", "example": "sub_5f0c9a1b2c3d4e5f6a7b8c9d"},
    "model": {"type": "string", "example": "res.partner"}, "url": {"type": "string"},
    "description": {"type": "string"}, "domain": {"type": "array"},
    "fields": {"type": ["array", "null"], "items": {"type": "string"}}, "state": _STATE,
    "created_at": {"type": "string"}, "reason": {"type": "string"}}}
_FULL = {**_BRIEF, "properties": {**_BRIEF["properties"],
    "cursor_time": {"type": ["string", "null"], "description": "Changes up to this UTC time are delivered"},
    "delivered": {"type": "integer", "description": "Events answered with a 2xx"},
    "failures": {"type": "integer"}, "retries": {"type": "integer"},
    "last_delivery": {"type": ["object", "null"]}, "last_error": {"type": ["object", "null"]},
    "in_flight": {"type": ["object", "null"], "description": "The batch being delivered or retried"},
    "dead_letters": {"type": "array", "items": {"type": "object"},
                     "description": "Batches given up on (newest 20), with their events"}}}
_CREATED = {**_FULL, "required": [*_FULL["required"], "secret"], "properties": {**_FULL["properties"],
    "secret": {"type": "string", "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
               "description": "The signing secret, shown once: keep it to verify webhook-signature"}}}
_LIST = {"type": "object", "required": ["subscriptions", "count"], "properties": {
    "subscriptions": {"type": "array", "items": _BRIEF}, "count": {"type": "integer"}}}
_EXAMPLES = {
    "partners": {"summary": "Every contact created or changed, to an n8n Webhook node", "value": {
        "model": "res.partner", "url": "https://n8n.example.com/webhook/odoo-partners",
        "fields": ["name", "email", "is_company"], "description": "Contacts to the CRM"}},
    "confirmed_orders": {"summary": "Sales orders once confirmed, from a time", "value": {
        "model": "sale.order", "url": "https://hooks.example.com/orders",
        "domain": [["state", "=", "sale"]], "fields": ["name", "amount_total", "partner_id"],
        "since": "2026-12-01T00:00:00Z"}},
}


def _service():  # type: ignore[no-untyped-def]
    gateway = current_app.extensions["gateway"]
    api_key = api_key_from_headers()
    claims = gateway.open_key(api_key)
    note(key_id=claims.key_id)
    limit_key(claims.key_id)
    return current_app.extensions["subscriptions"], claims, api_key


@bp.post("")
@documented("Subscribe a URL to a model's changes (signed, retried deliveries)", body=SubscriptionSchema,
            ok=_CREATED, created=True, errors=(*_ERRORS, 409), secured=True, tag="webhooks",
            examples=_EXAMPLES,
            description="Needs R on the model. Answers the signing secret once. Deliveries POST "
                        "{subscription, model, events: [{type, model, id, data, changed_at}]} signed "
                        "per Standard Webhooks (docs/webhooks.md).")
def create():  # type: ignore[no-untyped-def]
    service, claims, api_key = _service()
    answer = service.create(claims, api_key, json_body())
    note(model=answer["model"], subscription=answer["id"])
    return answer, 201


@bp.get("")
@documented("This key's subscriptions", ok=_LIST, errors=(401,), secured=True, tag="webhooks")
def list_all() -> dict:
    service, claims, _ = _service()
    return service.list(claims)


@bp.get("/<sub_id>")
@documented("One subscription: state, cursor time, last delivery, failures, dead letters", ok=_FULL,
            errors=(401, 404), secured=True, tag="webhooks")
def show(sub_id: str) -> dict:
    service, claims, _ = _service()
    return service.show(claims, sub_id)


@bp.delete("/<sub_id>")
@documented("Delete a subscription (deliveries stop)", errors=(401, 404), secured=True, tag="webhooks",
            ok={"type": "object", "properties": {"id": {"type": "string"}, "status": {"type": "string"}}})
def delete(sub_id: str) -> dict:
    service, claims, _ = _service()
    return service.delete(claims, sub_id)


@bp.post("/<sub_id>/pause")
@documented("Pause deliveries (changes wait; none is lost)", ok=_FULL, errors=(401, 404, 409),
            secured=True, tag="webhooks")
def pause(sub_id: str) -> dict:
    service, claims, _ = _service()
    return service.pause(claims, sub_id)


@bp.post("/<sub_id>/resume")
@documented("Resume deliveries (after a pause or a 410)", ok=_FULL, errors=(401, 404, 409),
            secured=True, tag="webhooks")
def resume(sub_id: str) -> dict:
    service, claims, _ = _service()
    return service.resume(claims, sub_id)


@bp.post("/<sub_id>/replay")
@documented("Deliver again every change from a time", body=ReplaySchema, ok=_FULL, errors=(400, 401, 404),
            secured=True, tag="webhooks",
            examples={"from_a_day": {"summary": "From a time", "value": {"since": "2026-12-01T00:00:00Z"}}})
def replay(sub_id: str) -> dict:
    service, claims, _ = _service()
    return service.replay(claims, sub_id, json_body())
