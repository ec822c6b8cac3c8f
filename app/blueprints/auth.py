"""Minting and checking API keys."""

from __future__ import annotations

from flask import Blueprint, current_app

from app.openapi import documented
from app.responses import GeneratedSchema, ValidatedSchema
from app.schemas import GenerateSchema, ValidateSchema, load
from app.web import json_body, note

bp = Blueprint("auth", __name__, url_prefix="/auth")
_generate = GenerateSchema()
_validate = ValidateSchema()


@bp.post("/generate")
@documented("Check a login with Odoo and mint an API key", body=GenerateSchema, ok=GeneratedSchema,
            errors=(400, 401, 502, 504))
def generate() -> dict:
    data = load(_generate, json_body(), "/auth/generate")
    result = current_app.extensions["gateway"].generate(data)
    note(key_id=result["key_id"])
    return result


@bp.post("/validate")
@documented("Tell whether a key is usable and what it grants", body=ValidateSchema, ok=ValidatedSchema,
            errors=(400, 401))
def validate() -> dict:
    data = load(_validate, json_body(), "/auth/validate")
    return current_app.extensions["gateway"].validate(data["api_key"])
