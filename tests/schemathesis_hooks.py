"""Schemathesis hooks (schemathesis.toml loads them): the one rule JSON Schema cannot state."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from marshmallow import ValidationError

from app.base.errors import ScopeInvalid
from app.core.access.scopes import SCOPE_PATTERN, Scope
from app.core.automations.changes import parse_time
from app.core.fields import _check_arity


def _domains(value: Any) -> list:
    """Every domain list (``domain``, an upsert's ``match``) anywhere in a body."""
    if isinstance(value, dict):
        found = [value[k] for k in ("domain", "match") if isinstance(value.get(k), list)]
        return found + [d for v in value.values() for d in _domains(v)]
    if isinstance(value, list):
        return [d for v in value for d in _domains(v)]
    return []


def _balanced(domain: list) -> bool:
    try:
        _check_arity(domain)
    except (ValidationError, TypeError):
        return False
    return True


def _repeats(body: Any) -> bool:
    """A scope that fits the pattern but names a model or a letter twice (a regex cannot say it)."""
    scope = body.get("scope") if isinstance(body, dict) else None
    if not isinstance(scope, str) or not re.match(SCOPE_PATTERN, scope):
        return False
    try:
        Scope.parse(scope)
    except ScopeInvalid:
        return True
    return False


def _nested_upsert(body: Any) -> bool:
    """An upsert by external id with a list or object value: allowed or not by the field's type in Odoo."""
    arguments = body.get("arguments") if isinstance(body, dict) else None
    if not isinstance(arguments, dict) or body.get("name") != "upsert" or "external_id" not in arguments:
        return False
    values = arguments.get("values")
    return isinstance(values, dict) and any(isinstance(v, (dict, list)) for v in values.values())


def _wide_integer(value: Any) -> bool:
    """An integer beyond XML-RPC's 32 bits at any depth: the document states the bound only four
    levels deep (stating it at every depth would need a recursive schema), the server at any depth."""
    if isinstance(value, dict):
        return any(_wide_integer(v) for v in value.values())
    if isinstance(value, list):
        return any(_wide_integer(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31


def _bad_since(body: Any) -> bool:
    """A change feed's ``since`` that is no calendar time (a pattern cannot rule out 2026-02-30)."""
    arguments = body.get("arguments") if isinstance(body, dict) else None
    since = arguments.get("since") if isinstance(arguments, dict) else None
    if not isinstance(since, str) or body.get("name") != "changes":
        return False
    try:
        parse_time(since)
    except (ValidationError, ValueError):
        return True
    return False


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Leave out what JSON Schema cannot state: unbalanced domains, repeats in a scope, values
    whose fitness depends on the model's field types in Odoo, and 32-bit integers deeper than
    the document states them (every phase)."""
    body = case.body
    return (all(_balanced(domain) for domain in _domains(body)) and not _repeats(body)
            and not _nested_upsert(body) and not _wide_integer(body)
            and not _bad_since(body))
