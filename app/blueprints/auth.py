"""Minting and checking API keys."""

from __future__ import annotations

from flask import Blueprint, current_app

from app.schemas import GenerateSchema, ValidateSchema, load
from app.web import json_body, note

bp = Blueprint("auth", __name__, url_prefix="/auth")
_generate = GenerateSchema()
_validate = ValidateSchema()


@bp.post("/generate")
def generate() -> dict:
    data = load(_generate, json_body(), "/auth/generate")
    result = current_app.extensions["gateway"].generate(data)
    note(key_id=result["key_id"])
    return result


@bp.post("/validate")
def validate() -> dict:
    data = load(_validate, json_body(), "/auth/validate")
    return current_app.extensions["gateway"].validate(data["api_key"])
