"""Minting, checking and revoking API keys."""

from __future__ import annotations

from flask import Blueprint, current_app

from app.api import openapi_examples as examples
from app.api.openapi import documented
from app.api.responses import GeneratedSchema, RevokedSchema, ValidatedSchema
from app.api.security import require_minting_token
from app.api.web import json_body, note
from app.core.schemas import GenerateSchema, RevokeSchema, ValidateSchema, load

bp = Blueprint("auth", __name__, url_prefix="/auth")
_generate = GenerateSchema()
_validate = ValidateSchema()
_revoke = RevokeSchema()


@bp.post("/generate")
@documented("Check a login with Odoo and mint an API key", body=GenerateSchema, ok=GeneratedSchema,
            errors=(400, 401, 403, 502, 503, 504), secured=True, security=("MintingToken",),
            auth_optional=True, examples=examples.GENERATE,
            description="Needs `Authorization: Bearer <GENERATE_TOKEN>` only when the gateway sets one.")
def generate() -> dict:
    require_minting_token()
    data = load(_generate, json_body(), "/auth/generate")
    result = current_app.extensions["gateway"].generate(data)
    note(key_id=result["key_id"])
    return result


@bp.post("/validate")
@documented("Tell whether a key is usable and what it grants", body=ValidateSchema, ok=ValidatedSchema,
            errors=(400, 401), examples=examples.VALIDATE)
def validate() -> dict:
    data = load(_validate, json_body(), "/auth/validate")
    return current_app.extensions["gateway"].validate(data["api_key"])


@bp.post("/revoke")
@documented("Revoke a key: send the key itself, or its key_id with the minting token", body=RevokeSchema,
            ok=RevokedSchema, errors=(400, 401), secured=True, security=("MintingToken",),
            auth_optional=True, examples=examples.REVOKE,
            description="Revoking by key_id needs `Authorization: Bearer <GENERATE_TOKEN>`.")
def revoke() -> dict:
    data = load(_revoke, json_body(), "/auth/revoke")
    if "key_id" in data:
        require_minting_token(needed_without_token=True)
    result = current_app.extensions["gateway"].revoke(data.get("api_key"), data.get("key_id"))
    note(key_id=result["key_id"])
    return result
