"""Marshmallow field types for Odoo arguments: model names, domains, ids, values, order."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from app.core.access.scopes import MODEL_NAME

MAX_ID = 2**31 - 1  # Odoo ids travel as XML-RPC <int>, which is 32-bit
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ORDER_TERM = r"[A-Za-z_][A-Za-z0-9_.]*(?:\s+(?:asc|desc))?(?:\s+nulls\s+(?:first|last))?"
ORDER = re.compile(rf"^\s*{_ORDER_TERM}\s*(?:,\s*{_ORDER_TERM}\s*)*$", re.IGNORECASE)
OPERATORS = frozenset({
    "=", "!=", "<>", "<", "<=", ">", ">=", "=?", "like", "not like", "ilike", "not ilike",
    "=like", "=ilike", "in", "not in", "child_of", "parent_of", "any", "not any",
})
_ARITY = {"!": 1, "&": 2, "|": 2}
# The operators in any letter case (Odoo lower-cases them), as a pattern the document can state.
_OPERATOR_PATTERN = "^(?:" + "|".join(sorted(
    "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c.replace("?", "\\?") for c in op)
    for op in OPERATORS
)) + ")$"
_OPERATOR = re.compile(_OPERATOR_PATTERN)


class WholeNumber(fields.Integer):
    """An integer, or a string of digits (n8n expressions often render numbers as text).

    Unlike marshmallow's default, 5.5 and booleans are refused instead of truncated.
    """

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        if isinstance(value, str) and not re.fullmatch(r"\s*-?\d{1,12}\s*", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def model_name(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(MODEL_NAME, error="Not a valid Odoo model name (like 'res.partner')."),
        metadata={"description": "Odoo model name, e.g. res.partner", "example": "res.partner"},
        **kwargs,
    )


def ids(max_items: int, **kwargs: Any) -> fields.List:
    return fields.List(
        WholeNumber(validate=validate.Range(min=1, max=MAX_ID)),
        validate=validate.Length(min=1, max=max_items),
        metadata={"description": f"Record ids: 1 to {max_items} positive integers"},
        **kwargs,
    )


def field_names(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Regexp(FIELD_NAME, error="Not a valid field name.")),
        **kwargs,
    )


def order(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(ORDER, error="Not a valid order: use 'name asc, id desc'."),
        metadata={"description": "Sort order, e.g. 'name asc, id desc'"},
        **kwargs,
    )


class Domain(fields.List):
    """An Odoo domain: leaves ``[field, operator, value]`` and the operators ``&``, ``|``, ``!``.

    Checked structurally (operand counts in Polish notation), so that a malformed domain is
    refused instead of becoming an unfiltered search.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "Odoo domain, e.g. [[\"is_company\", \"=\", true]]; "
                                       "'&' and '|' take the next two terms, '!' the next one"})
        super().__init__(fields.Raw(metadata={"anyOf": [
            {"enum": sorted(_ARITY)},
            {"type": "array", "minItems": 3, "maxItems": 3, "prefixItems": [
                {"anyOf": [{"type": "string", "pattern": FIELD_NAME.pattern}, {"enum": [0, 1]}]},
                {"type": "string", "pattern": _OPERATOR_PATTERN}, VALUE]},
        ]}), **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> list:
        terms = super()._deserialize(value, attr, data, **kwargs)
        for position, term in enumerate(terms):
            _check_term(position, term)
        _check_arity(terms)
        return [list(term) if isinstance(term, list | tuple) else term for term in terms]


def _check_term(position: int, term: Any) -> None:
    if isinstance(term, str):
        if term not in _ARITY:
            raise ValidationError(f"Term {position}: {term!r} is not '&', '|' or '!'.")
        return
    if not isinstance(term, list | tuple) or len(term) != 3:
        raise ValidationError(f"Term {position}: a leaf is a list [field, operator, value].")
    name, operator, _value = term
    if isinstance(name, int) and not isinstance(name, bool) and name in (0, 1):
        return  # Odoo's TRUE_LEAF / FALSE_LEAF: [1, "=", 1], [0, "=", 1]
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        raise ValidationError(f"Term {position}: {name!r} is not a field name.")
    if not isinstance(operator, str) or not _OPERATOR.match(operator):
        raise ValidationError(
            f"Term {position}: {operator!r} is not an Odoo operator ({', '.join(sorted(OPERATORS))})."
        )


def _check_arity(terms: list) -> None:
    """Each '&'/'|' needs two operands and '!' one; leaves are operands (implicit AND between)."""
    operands = 0
    for term in reversed(terms):
        need = _ARITY.get(term, 0) if isinstance(term, str) else 0
        if operands < need:
            raise ValidationError(f"Operator {term!r} lacks operands: the domain is malformed.")
        operands = operands - need + 1


def _value(depth: int) -> dict:
    """Any JSON value, with XML-RPC's 32-bit integers, stated ``depth`` levels deep (inline, no $ref)."""
    if depth == 0:
        return {}
    inner = _value(depth - 1)
    return {"anyOf": [
        {"type": ["null", "boolean", "string"]}, {"type": "number", "not": {"type": "integer"}},
        {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
        {"type": "array", "items": inner}, {"type": "object", "additionalProperties": inner},
    ]}


# A value Odoo takes over XML-RPC: a larger integer is refused with 400 (send it as text). Schemas
# carry the marker; the OpenAPI document states it in full (``value_schema``), /tools/list does not.
VALUE = {"x-odoo-value": True}


def value_schema() -> dict:
    """What the ``x-odoo-value`` marker stands for in the OpenAPI document."""
    return {"description": "Integers between -2147483648 and 2147483647", **_value(4)}
_VALUES_OBJECT = {"type": "object", "minProperties": 1, "propertyNames": {"pattern": FIELD_NAME.pattern},
                  "additionalProperties": VALUE}


class Values(fields.Field):
    """Field values for create: one object, or a non-empty list of objects."""

    def __init__(self, max_items: int, **kwargs: Any) -> None:
        self.max_items = max_items
        kwargs.setdefault("metadata", {})["oneOf"] = [
            _VALUES_OBJECT, {"type": "array", "minItems": 1, "maxItems": max_items, "items": _VALUES_OBJECT}]
        super().__init__(**kwargs)

    def limit(self, max_items: int) -> None:
        """Take at most ``max_items`` objects (MAX_LIMIT), and say so in the schema."""
        self.max_items = max_items
        self.metadata = {**self.metadata, "oneOf": [
            _VALUES_OBJECT, {**self.metadata["oneOf"][1], "maxItems": max_items}]}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dict | list[dict]:
        if isinstance(value, dict):
            return _values_object(value)
        if isinstance(value, list):
            if not value or len(value) > self.max_items:
                raise ValidationError(f"Give 1 to {self.max_items} objects of values.")
            return [_values_object(item) for item in value]
        raise ValidationError("Values must be an object of field values, or a list of them.")


class ValuesObject(fields.Dict):
    """Field values for write: a non-empty object keyed by field name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).update(allOf=[_VALUES_OBJECT])  # apispec drops propertyNames
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dict:
        return _values_object(super()._deserialize(value, attr, data, **kwargs))


def _values_object(value: Any) -> dict:
    if not isinstance(value, dict) or not value:
        raise ValidationError("Values must be a non-empty object of field values.")
    bad = [name for name in value if not isinstance(name, str) or not FIELD_NAME.match(name)]
    if bad:
        raise ValidationError(f"Not valid field names: {', '.join(map(str, bad))}.")
    return value
