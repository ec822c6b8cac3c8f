"""Upserts: create a record, or update the one that an external id or a domain names.

By external id: ``ir.model.data.check_object_reference`` says whether the id exists (it needs no
right on ir.model.data, unlike reading that model); an existing record is written like ``write``,
a new one is created through ``Model.load``, Odoo's own import, which binds the external id in the
same transaction (values are turned into load's text cells; x2many values are written afterwards).
By domain: at most one record may match (several: 409 conflict); it is written, or a record is
created. Two concurrent upserts of a new record by domain may both create one (Odoo has no unique
key for a domain); external ids are unique in Odoo, so use them where duplicates matter.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as ma

from app.base.errors import Conflict, InvalidRequest, OdooAccessError, OdooError
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.tools import OdooCall, Tool, ToolArgs

_XID = re.compile(r"^(?:[A-Za-z0-9_]+\.)?[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")
_NOT_FOUND = "External ID not found"
IMPORT_MODULE = "__import__"


class UpsertArgs(ToolArgs):
    values = odoo_fields.ValuesObject(required=True, metadata={"description": "Field values"})
    external_id = ma.String(validate=validate.Regexp(_XID, error="Use 'module.name' or a bare name."),
                            metadata={"description": "External id (ir.model.data), 'module.name' or "
                                                     "a bare name (module __import__)",
                                      "example": "__import__.crm_contact_42"})
    match = odoo_fields.Domain(metadata={"description": "A domain that matches at most one record",
                                         "example": [["email", "=", "ada@example.com"]]})

    # By external id, Odoo's import takes texts, numbers and booleans (lists only for relational
    # fields, which a schema cannot know): the document states the plain case.
    OPENAPI = {"oneOf": [
        {"required": ["external_id"], "not": {"required": ["match"]}, "properties": {"values": {
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}}},
        {"required": ["match"], "not": {"required": ["external_id"]},
         "properties": {"match": {"minItems": 1}}}]}

    @validates_schema
    def _one_way(self, data: dict, **_: Any) -> None:
        if ("external_id" in data) == ("match" in data):
            raise ValidationError("Give either external_id or match (a domain), not both.")
        if "match" in data and not data["match"]:
            raise ValidationError("match must not be empty: it would match every record.")


def split_xid(xid: str) -> tuple[str, str]:
    module, dot, name = xid.partition(".")
    return (module, name) if dot else (IMPORT_MODULE, xid)


def _answer(rid: int, status: str) -> dict:
    return {"id": rid, "status": status}


def _by_match(odoo: OdooCall, a: dict) -> dict:
    found = odoo("search", [a["match"]], {"limit": 2})
    if len(found) > 1:
        raise Conflict(f"The match domain finds more than one {a['model']} record (ids {found} "
                       "at least): make it name one record, or use external_id.", details={"ids": found})
    if found:
        odoo("write", [found, a["values"]], {})
        return _answer(found[0], "updated")
    return _answer(odoo("create", [a["values"]], {}), "created")


def _reference(odoo: OdooCall, model: str, xid: str) -> int | None:
    """The record id the external id names on ``model``, or None when it does not exist."""
    module, name = split_xid(xid)
    try:
        owner, rid = odoo("check_object_reference", [], {"module": module, "xml_id": name},
                          model="ir.model.data")
    except OdooError as error:
        if _NOT_FOUND in error.message:
            return None
        raise
    if owner != model:
        raise Conflict(f"The external id {module}.{name} names a {owner} record, not {model}.")
    if rid is False:
        raise OdooAccessError(f"Odoo does not let this user read the {model} record that "
                              f"{module}.{name} names.")
    return rid


def _cells(types: dict, values: dict) -> tuple[list[str], list[str], dict]:
    """load()'s columns and text cells for ``values``, and the x2many values to write afterwards."""
    columns, cells, later = [], [], {}
    for name, value in values.items():
        kind = types.get(name, {}).get("type")
        if kind in ("one2many", "many2many"):
            later[name] = value
            continue
        if kind == "many2one" and isinstance(value, (int, list)) and not isinstance(value, bool):
            name, value = f"{name}/.id", value[0] if isinstance(value, list) and value else value
        if isinstance(value, bool):
            value = ("1" if value else "0") if kind == "boolean" else ("" if not value else "1")
        elif value is None:
            value = ""
        elif isinstance(value, (dict, list)):
            raise InvalidRequest(f"The value of {name!r} cannot be created through an external id "
                                 "upsert: give a number, a text or a boolean.")
        columns.append(name)
        cells.append(str(value))
    return columns, cells, later


def _create_by_load(odoo: OdooCall, a: dict) -> int:
    values = a["values"]
    types = odoo("fields_get", [], {"allfields": list(values), "attributes": ["type"]})
    columns, cells, later = _cells(types, values)
    answer = odoo("load", [], {"fields": ["id", *columns], "data": [[a["external_id"], *cells]]})
    if not answer.get("ids"):
        messages = answer.get("messages") or []
        text = "; ".join(m.get("message", "") for m in messages) or "Odoo imported nothing."
        raise OdooError(f"Odoo refused to create the record: {text}", details={"messages": messages})
    rid = answer["ids"][0]
    if later:
        odoo("write", [[rid], later], {})
    return rid


def _by_external_id(odoo: OdooCall, a: dict) -> dict:
    rid = _reference(odoo, a["model"], a["external_id"])
    if rid is not None:
        odoo("write", [[rid], a["values"]], {})
        return _answer(rid, "updated")
    return _answer(_create_by_load(odoo, a), "created")


def _upsert(odoo: OdooCall, a: dict) -> dict:
    return _by_match(odoo, a) if "match" in a else _by_external_id(odoo, a)


UPSERT_TOOLS: tuple[Tool, ...] = (
    Tool("upsert", "W", "Create a record or update the one an external id or a domain names; "
         "answers its id and 'created' or 'updated' (409 when the domain matches several).",
         UpsertArgs, _upsert, also="R", fields=FieldArgs(values=("values",), domains=("match",)),
         example={"model": "res.partner", "external_id": "crm_import.jane_doe",
                  "values": {"name": "Jane Doe", "email": "jane@example.com"}}),
)
