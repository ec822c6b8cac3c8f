"""File tools: attach a file to a record, list a record's attachments, download one.

Attachments are ``ir.attachment`` rows pointing at a record (``res_model``/``res_id``); access
follows that record, so the scope letter is checked on the record's model: W to attach, R to list
and download. A download names the record too, so a key cannot reach another model's attachment by
guessing ids. Listings read with ``bin_size`` (sizes, never contents); a file above
``FILE_MAX_BYTES`` is refused (413) before Odoo is asked for its bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from marshmallow import ValidationError, validate, validates
from marshmallow import fields as ma

from app.base.errors import NotFound, OdooError, PayloadTooLarge
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.tools import OdooCall, Tool, ToolArgs, _limit, _offset

ATTACHMENT = "ir.attachment"
EMPTY_SHA1 = hashlib.sha1(b"", usedforsecurity=False).hexdigest()
META = ["name", "mimetype", "file_size", "checksum", "create_date", "res_model", "res_id"]
_TOO_LARGE = "The file is {size} bytes, above this gateway's FILE_MAX_BYTES ({limit} bytes)."


def record_id(description: str = "The record's id") -> odoo_fields.WholeNumber:
    return odoo_fields.WholeNumber(required=True, validate=validate.Range(min=1, max=odoo_fields.MAX_ID),
                                   metadata={"description": description, "example": 1})


# What base64.b64decode(validate=True) takes.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class AttachArgs(ToolArgs):
    id = record_id()
    filename = ma.String(required=True, validate=validate.Length(min=1, max=1024),
                     metadata={"description": "File name, e.g. invoice.pdf", "example": "hello.txt"})
    data = ma.String(required=True, metadata={
        "description": "The file's bytes, base64-encoded", "example": "aGVsbG8gd29ybGQ=",
        "pattern": BASE64})
    mimetype = ma.String(validate=validate.Length(max=255), metadata={
        "description": "Content type (omitted: Odoo guesses it from the name or the bytes)"})

    @validates("data")
    def _base64(self, value: str, **_: Any) -> None:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("Not valid base64.") from None


class ListArgs(ToolArgs):
    id = record_id()
    limit = _limit()
    offset = _offset()


class DownloadArgs(ToolArgs):
    id = record_id()
    attachment_id = record_id("The attachment's id")


def file_tools(max_bytes: int) -> tuple[Tool, ...]:
    """The three file tools, bounded by ``max_bytes`` (FILE_MAX_BYTES)."""

    def attach(odoo: OdooCall, a: dict) -> dict:
        size = len(base64.b64decode(a["data"]))
        if size > max_bytes:
            raise PayloadTooLarge(_TOO_LARGE.format(size=size, limit=max_bytes))
        must_exist(odoo, a["model"], a["id"])  # Odoo would store the file on no record, for good
        values = {"name": a["filename"], "datas": a["data"], "res_model": a["model"], "res_id": a["id"]}
        if a.get("mimetype"):
            values["mimetype"] = a["mimetype"]
        created = odoo("create", [[values]], {}, model=ATTACHMENT)
        new_id = created[0] if isinstance(created, list) else created
        return {**_meta(odoo, new_id), "status": "created"}

    def download(odoo: OdooCall, a: dict) -> dict:
        meta = _meta(odoo, a["attachment_id"])
        if meta.get("res_model") != a["model"] or meta.get("res_id") != a["id"]:
            raise NotFound(f"Attachment {a['attachment_id']} is not attached to {a['model']} {a['id']}.")
        if (meta.get("file_size") or 0) > max_bytes:
            raise PayloadTooLarge(_TOO_LARGE.format(size=meta["file_size"], limit=max_bytes))
        rows = odoo("read", [[a["attachment_id"]], ["datas"]], {}, model=ATTACHMENT)
        return {**meta, "data": (rows[0].get("datas") or "") if rows else ""}

    return (
        Tool("attach_file", "W", "Attach a file (base64) to a record; POST /files/{model}/{id} takes "
             "multipart/form-data too.", AttachArgs, attach, fields=FieldArgs(), example={
                 "model": "res.partner", "id": 2, "filename": "hello.txt", "data": "aGVsbG8="}),
        Tool("list_attachments", "R", "List a record's attachments (name, type, size; never the "
             "contents).", ListArgs, _list, fields=FieldArgs(),
             example={"model": "account.move", "id": 1}),  # Odoo hides binary fields' files
        Tool("download_file", "R", "Download one of a record's attachments (base64 here; raw bytes at "
             "GET /files/{model}/{id}/{attachment_id}).", DownloadArgs, download,
             fields=FieldArgs(opaque=True),  # an attachment id may be a binary field's file
             example={"model": "account.move", "id": 1, "attachment_id": 1}),
    )


def must_exist(odoo: OdooCall, model: str, *ids: int) -> None:
    """404 unless Odoo has ``model`` and its records ``ids`` (archived records count).

    Odoo attaches files (and reads chatter) for any ``res_model``/``res_id`` pair without checking
    that it names a record, so a typo would create orphans or look like "no files"."""
    try:
        found = odoo("search", [[["id", "in", list(ids)]]], {"context": {"active_test": False}},
                     model=model)
    except (OdooError, NotFound) as error:  # JSON-2 answers an unknown model with 404
        if "doesn't exist" in error.message:
            raise NotFound(f"Odoo has no model {model!r}: check the model's technical name "
                           "(e.g. res.partner).") from None
        raise
    missing = sorted(set(ids) - set(found))
    if missing:
        raise NotFound(f"{model} {', '.join(map(str, missing))} does not exist (deleted, never "
                       "existed, or hidden from this user by Odoo's record rules).")


def _list(odoo: OdooCall, a: dict) -> dict:
    must_exist(odoo, a["model"], a["id"])
    domain = [["res_model", "=", a["model"]], ["res_id", "=", a["id"]]]
    rows = odoo("search_read", [domain], {"fields": META, "limit": a["limit"], "offset": a["offset"],
                                          "order": "id desc", "context": {"bin_size": True}},
                model=ATTACHMENT)
    files = [_clean(row) for row in rows]
    return {"attachments": files, "count": len(files), "id": a["id"]}


def _meta(odoo: OdooCall, attachment_id: int) -> dict:
    rows = odoo("read", [[attachment_id], META], {"context": {"bin_size": True}}, model=ATTACHMENT)
    if not rows:
        raise NotFound(f"No attachment {attachment_id} (deleted, or never existed).")
    return _clean(rows[0])


def _clean(row: dict) -> dict:
    """Odoo's False for an unset mimetype or checksum becomes null; an empty file's checksum is
    the SHA-1 of no bytes, as the answer promises (Odoo stores False for it)."""
    clean = {key: (None if value is False else value) for key, value in row.items()}
    if "checksum" in clean and clean["checksum"] is None and clean.get("file_size") == 0:
        clean["checksum"] = EMPTY_SHA1
    return clean
