"""Chatter tools: post a message or an internal note on a record, read a record's messages.

``post_message`` is Odoo's ``message_post`` (keyword arguments only, one record): W on the record's
model, as Odoo needs write access to post. The body is text (Odoo escapes it) unless ``html`` is
true. ``read_messages`` reads ``mail.message`` of the record, newest first: R on the record's model.
"""

from __future__ import annotations

from marshmallow import fields as ma
from marshmallow import validate

from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.automations.files import must_exist, record_id
from app.core.batch import StrictBoolean
from app.core.tools import OdooCall, Tool, ToolArgs, _limit, _offset

SUBTYPES = {"note": "mail.mt_note", "comment": "mail.mt_comment"}
MESSAGE_FIELDS = ["body", "message_type", "subtype_id", "author_id", "date", "partner_ids",
                  "attachment_ids", "subject"]


class PostArgs(ToolArgs):
    id = record_id()
    body = ma.String(required=True, validate=validate.Length(min=1), metadata={
        "description": "The message (text; HTML when html is true)", "example": "Called the customer."})
    kind = ma.String(load_default="note", validate=validate.OneOf(sorted(SUBTYPES)), metadata={
        "description": "note: an internal note (default); comment: a message sent to followers"})
    html = StrictBoolean(load_default=False, metadata={"description": "Post body as HTML (else escaped)"})
    subject = ma.String(metadata={"description": "Subject line"})
    partner_ids = odoo_fields.ids(100)  # partners to notify
    attachment_ids = odoo_fields.ids(100)  # attachments (ids from attach_file) to show on the message


class ReadArgs(ToolArgs):
    id = record_id()
    limit = _limit()
    offset = _offset()
    kind = ma.String(validate=validate.OneOf(["comment", "notification", "email"]), metadata={
        "description": "Only messages of this message_type (omitted: all)"})


def _post(odoo: OdooCall, a: dict) -> dict:
    kwargs = {"body": a["body"], "message_type": "comment", "subtype_xmlid": SUBTYPES[a["kind"]],
              "body_is_html": a["html"]}
    for name in ("subject", "partner_ids", "attachment_ids"):
        if a.get(name):
            kwargs[name] = a[name]
    message_id = odoo("message_post", [[a["id"]]], kwargs)
    if isinstance(message_id, list):  # Odoo 19 answers the new message as a list of ids: [455]
        message_id = message_id[0] if message_id else None
    return {"message_id": message_id, "id": a["id"], "kind": a["kind"], "status": "posted"}


def _read(odoo: OdooCall, a: dict) -> dict:
    must_exist(odoo, a["model"], a["id"])  # else a typo in the model reads as "no messages"
    domain = [["model", "=", a["model"]], ["res_id", "=", a["id"]]]
    if a.get("kind"):
        domain.append(["message_type", "=", a["kind"]])
    rows = odoo("search_read", [domain], {"fields": MESSAGE_FIELDS, "limit": a["limit"],
                                          "offset": a["offset"], "order": "id desc"},
                model="mail.message")
    return {"messages": rows, "count": len(rows), "id": a["id"]}


CHATTER_TOOLS: tuple[Tool, ...] = (
    Tool("post_message", "W", "Post a message or an internal note in a record's chatter, notifying "
         "partners, with attachments.", PostArgs, _post, fields=FieldArgs(),  # writes no field
         example={"model": "res.partner", "id": 2, "body": "Called back: all good."}),
    # Messages and their tracking values may show any field of the record.
    Tool("read_messages", "R", "Read a record's chatter messages, newest first.", ReadArgs, _read,
         fields=FieldArgs(opaque=True), example={"model": "res.partner", "id": 2}),
)
