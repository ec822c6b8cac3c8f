"""Attachments and chatter as Odoo 18 runs them: ir.attachment, mail.thread's message_post, mail.message.

Access follows the record an attachment or message belongs to (``res_model``/``res_id``), as
Odoo's ``ir.attachment.check`` and mail rules do; facts in sandbox/facts/automations-a.md.
"""

from __future__ import annotations

import base64
import binascii
import html
import mimetypes
from typing import Any

from .faults import AccessError
from .mailmodels import attachment_values
from .orm import BaseModel, _as_ids, access_error
from .store import now

_PORTAL_DENIED = "Sorry, you are not allowed to access this document."
_MESSAGE_DENIED = (
    "The requested operation cannot be completed due to security restrictions. Please contact your "
    "system administrator.\n\n(Document type: Message, Operation: create)\n\n - User: {uid}"
)
SUBTYPES = {"mail.mt_comment": 1, "mail.mt_note": 2}


def human_size(size: int) -> str:
    """Odoo's ``human_size``: what a binary field reads as under the ``bin_size`` context."""
    units = ("bytes", "Kb", "Mb", "Gb", "Tb")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{value:.2f} {units[unit]}"


def guess_mimetype(name: str, raw: bytes) -> str:
    """From the file name, else by sniffing the bytes, else application/octet-stream."""
    guessed = mimetypes.guess_type(name or "")[0]
    if guessed:
        return guessed
    if raw.startswith(b"%PDF-"):
        return "application/pdf"
    if raw.startswith(b"\x89PNG"):
        return "image/png"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def check_record(recs: BaseModel, model: Any, res_id: Any, letter: str) -> None:
    """Refuse unless the user has ``letter`` on the attached record's model (portal: Odoo's words)."""
    if not model or model not in recs.db.tables:
        return
    if recs.db.login_of(recs.uid) == "portal" and not recs.db.allowed(recs.uid, model, letter):
        raise AccessError(_PORTAL_DENIED)
    if not recs.db.allowed(recs.uid, model, letter):
        raise access_error(recs.db, recs.uid, model, letter)


class AttachmentModel(BaseModel):
    """ir.attachment: base64 ``datas``, computed size/checksum/mimetype, record-based access."""

    def _readable(self, rec: dict) -> bool:
        model = rec.get("res_model")
        if _orphaned(self, rec):
            return False  # Odoo's record check finds no record to allow reading: even admin
        return not model or model not in self.db.tables or self.db.allowed(self.uid, model, "r")

    def _filter(self, domain: Any) -> list[dict]:
        names = {t[0] for t in domain or [] if isinstance(t, (list, tuple)) and len(t) == 3}
        if not names & {"id", "res_field"}:  # attachments behind binary fields stay hidden
            domain = [("res_field", "=", False), *(domain or [])]
        return [r for r in super()._filter(domain) if self._readable(r)]

    def _read(self, records: list[dict], fields: Any) -> list[dict]:
        rows = super()._read(records, fields)
        if self.context.get("bin_size"):
            for row, rec in zip(rows, records, strict=True):
                if row.get("datas"):
                    row["datas"] = human_size(rec["file_size"])
        return rows

    def read(self, ids, fields=None):
        """Read attachments; refused when the user cannot read one's record."""
        records = [self.table[i] for i in _as_ids(ids) if i in self.table]
        for rec in records:
            if _orphaned(self, rec):
                raise access_error(self.db, self.uid, self.name, "r")
            check_record(self, rec.get("res_model"), rec.get("res_id"), "r")
        return self._read(records, fields)

    def create(self, vals_list):
        """Create attachments from base64 ``datas`` (one dict -> id, a list -> ids)."""
        many = isinstance(vals_list, list)
        ids = [self._create_one(dict(vals)) for vals in (vals_list if many else [vals_list])]
        return ids if many else ids[0]

    def _create_one(self, vals: dict) -> int:
        if getattr(self, "major_version", 18) >= 19 and _orphaned(self, vals,
                                                                   unknown_model=True):
            raise AccessError(_PORTAL_DENIED)  # Odoo 19 checks the record exists; 18 does not
        check_record(self, vals.get("res_model"), vals.get("res_id"), "w")
        try:
            raw = base64.b64decode(vals.pop("datas", "") or "", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("Incorrect padding") from None
        stored = attachment_values(vals.get("name") or "", raw,
                                   vals.pop("mimetype", None) or guess_mimetype(vals.get("name"), raw))
        rid = self.db.create(self.name, {k: v for k, v in vals.items() if k != "datas"}, self.uid)
        self.table[rid].update({k: v for k, v in stored.items() if k not in vals or k == "name"})
        return rid

    def write(self, ids, vals):
        """Write attachments whose records the user may modify."""
        for rid in self._existing(ids):
            rec = self.table[rid]
            check_record(self, rec.get("res_model"), rec.get("res_id"), "w")
        return super().write(ids, vals)

    def unlink(self, ids):
        """Delete attachments whose records the user may modify."""
        for rid in self._existing(ids):
            rec = self.table[rid]
            check_record(self, rec.get("res_model"), rec.get("res_id"), "w")
        return super().unlink(ids)


def _orphaned(recs: BaseModel, rec: dict, unknown_model: bool = False) -> bool:
    """An attachment on a ``res_id`` its model does not have (or, with ``unknown_model``, on a
    model that does not exist): Odoo 18 stores it, and nobody can read or find it afterwards;
    Odoo 19 refuses to create it (facts: sandbox/facts/automations-c.md)."""
    model, res_id = rec.get("res_model"), rec.get("res_id")
    if model and model not in recs.db.tables:
        return unknown_model
    return bool(model and res_id and res_id not in recs.db.tables[model])


class MessageModel(BaseModel):
    """mail.message: readable when the user can read the message's record."""

    def _filter(self, domain: Any) -> list[dict]:
        return [r for r in super()._filter(domain)
                if not r.get("model") or self.db.allowed(self.uid, r["model"], "r")]


class ThreadModel(BaseModel):
    """A mail.thread model: ``message_post``; deleting a record deletes its messages and attachments."""

    def create(self, vals_list):
        """Create records and log Odoo's "created" notification on each."""
        created = super().create(vals_list)
        for rid in created if isinstance(created, list) else [created]:
            self._log(rid, f"<p>{self.spec.description} created</p>", "notification", 2)
        return created

    def unlink(self, ids):
        """Delete records with their messages and attachments."""
        ids = self._existing(ids)
        super().unlink(ids)
        for table, key in (("ir.attachment", "res_model"), ("mail.message", "model")):
            rows = self.db.tables[table]
            for rid in [r["id"] for r in rows.values() if r[key] == self.name and r["res_id"] in ids]:
                del rows[rid]
        return True

    def message_post(self, ids, *args, body="", message_type="notification", subtype_xmlid=None,
                     partner_ids=None, attachment_ids=None, body_is_html=False, subject=None, **_):
        """Post a message on one record and return the new mail.message id."""
        if args:
            raise TypeError(f"MailThread.message_post() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        ids = self._existing(ids)
        if len(ids) != 1:
            raise ValueError(f"Expected singleton: {self.name}({', '.join(map(str, ids))})")
        attachment_ids = list(attachment_ids or [])
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in attachment_ids):
            raise ValueError("Posting a message should receive attachments records as a list of IDs "
                             f"(received {attachment_ids!r})")
        if not self.db.allowed(self.uid, self.name, "w"):
            raise AccessError(_MESSAGE_DENIED.format(uid=self.uid))
        text = str(body or "")
        if not body_is_html:
            text = f"<p>{html.escape(text, quote=False).replace(chr(10), '<br>')}</p>"
        files = self.db.tables["ir.attachment"]
        for aid in attachment_ids:
            if aid in files:
                files[aid].update(res_model=self.name, res_id=ids[0])
        return self._log(ids[0], text, message_type, SUBTYPES.get(subtype_xmlid or "", 2),
                         subject=subject or False, partner_ids=list(partner_ids or []),
                         attachment_ids=list(reversed(attachment_ids)))

    def _log(self, rid: int, body: str, message_type: str, subtype: int, **extra: Any) -> int:
        author = self.db.tables["res.users"][self.uid]["partner_id"]
        values = {"body": body, "message_type": message_type, "subtype_id": subtype, "model": self.name,
                  "res_id": rid, "author_id": author, "date": now(), **extra}
        return self.db.create("mail.message", values, self.uid)
