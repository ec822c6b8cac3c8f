"""Schemas and seed of the automation models: attachments, chatter, invoices, payments, wizards.

Registered into ``sandbox.models.MODELS`` on import (``sandbox.store`` imports this module), so the
models of issue 14 items 1-4 live apart from the CRUD ones. Facts: sandbox/facts/automations-a.md.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

from .models import MODELS, Field, _model

# The smallest PDF a viewer opens: one page with one line of text (offsets computed below).
_PDF_OBJECTS = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>",
    None,  # the page's content stream
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
)


def pdf_document(title: str) -> bytes:
    """A valid one-page PDF 1.4 whose page shows ``title`` (what wkhtmltopdf would print)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 24 Tf 72 770 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [o if o is not None else b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
               for o in _PDF_OBJECTS]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_THREAD = ("message_post",)
SPECS = (
    _model(
        "ir.attachment", "Attachment", "id desc",
        Field("name", "char", "Name", required=True),
        Field("datas", "binary", "File Content (base64)", store=False),
        Field("mimetype", "char", "Mime Type", readonly=True),
        Field("file_size", "integer", "File Size", readonly=True),
        Field("checksum", "char", "Checksum/SHA1", readonly=True),
        Field("res_model", "char", "Resource Model"),
        Field("res_id", "many2one_reference", "Resource ID"),
        Field("res_field", "char", "Resource Field", readonly=True),
        Field("type", "selection", "Type", default="binary",
              selection=(("url", "URL"), ("binary", "File"))),
        Field("description", "text", "Description"),
        Field("public", "boolean", "Is public document", default=False),
    ),
    _model("mail.message.subtype", "Message subtypes", "sequence, id",
           Field("name", "char", "Message Type", required=True)),
    _model(
        "mail.message", "Message", "id desc",
        Field("body", "html", "Contents", default=""),
        Field("subject", "char", "Subject"),
        Field("message_type", "selection", "Type", default="comment", selection=(
            ("email", "Incoming Email"), ("comment", "Comment"), ("email_outgoing", "Outgoing Email"),
            ("notification", "System notification"), ("auto_comment", "Automated Targeted Notification"),
            ("user_notification", "User Specific Notification"))),
        Field("subtype_id", "many2one", "Subtype", relation="mail.message.subtype"),
        Field("author_id", "many2one", "Author", relation="res.partner"),
        Field("date", "datetime", "Date"),
        Field("model", "char", "Related Document Model"),
        Field("res_id", "many2one_reference", "Related Document ID"),
        Field("partner_ids", "many2many", "Recipients", relation="res.partner"),
        Field("attachment_ids", "many2many", "Attachments", relation="ir.attachment"),
    ),
    _model("account.journal", "Journal", "sequence, type, code",
           Field("name", "char", "Journal Name", required=True),
           Field("type", "selection", "Type", selection=(("sale", "Sales"), ("bank", "Bank"),
                                                          ("cash", "Cash")))),
    _model(
        "account.move", "Journal Entry", "date desc, name desc, id desc",
        Field("name", "char", "Number", readonly=True, default="/"),
        Field("partner_id", "many2one", "Partner", relation="res.partner"),
        Field("move_type", "selection", "Type", default="entry", selection=(
            ("entry", "Journal Entry"), ("out_invoice", "Customer Invoice"),
            ("out_refund", "Customer Credit Note"), ("in_invoice", "Vendor Bill"))),
        Field("state", "selection", "Status", readonly=True, default="draft", selection=(
            ("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))),
        Field("payment_state", "selection", "Payment Status", readonly=True, default="not_paid",
              selection=(("not_paid", "Not Paid"), ("in_payment", "In Payment"),
                         ("paid", "Paid"), ("partial", "Partially Paid"))),
        Field("amount_total", "monetary", "Total"),
        Field("amount_residual", "monetary", "Amount Due", readonly=True),
        Field("date", "date", "Date"),
        Field("invoice_origin", "char", "Origin"),
        Field("invoice_pdf_report_id", "many2one", "PDF Attachment", readonly=True,
              relation="ir.attachment"),
        methods=("action_post", *_THREAD),
    ),
    _model(
        "account.payment", "Payments", "date desc, name desc",
        Field("name", "char", "Number", readonly=True),
        Field("amount", "monetary", "Amount"),
        Field("partner_id", "many2one", "Customer/Vendor", relation="res.partner"),
        Field("journal_id", "many2one", "Journal", relation="account.journal"),
        Field("date", "date", "Date"),
        Field("memo", "char", "Memo"),
        Field("state", "selection", "Status", default="draft", selection=(
            ("draft", "Draft"), ("in_process", "In Process"), ("paid", "Paid"))),
    ),
    _model("ir.actions.report", "Report Action", "name",
           Field("name", "char", "Action Name", required=True),
           Field("report_name", "char", "Template Name", required=True),
           Field("model", "char", "Model Name", required=True),
           Field("report_type", "selection", "Report Type", default="qweb-pdf",
                 selection=(("qweb-html", "HTML"), ("qweb-pdf", "PDF"), ("qweb-text", "Text")))),
    _model("account.payment.term", "Payment Terms", "id",
           Field("name", "char", "Payment Terms", required=True)),
    _model(
        "sale.advance.payment.inv", "Sales Advance Payment Invoice", "id",
        Field("advance_payment_method", "selection", "Create Invoice", required=True,
              default="delivered", selection=(("delivered", "Regular invoice"),
                                              ("percentage", "Down payment (percentage)"),
                                              ("fixed", "Down payment (fixed amount)"))),
        Field("amount", "float", "Down Payment"),
        Field("sale_order_ids", "many2many", "Sales Orders", relation="sale.order"),
        methods=("create_invoices",),
    ),
    _model(
        "account.payment.register", "Pay", "id",
        Field("amount", "monetary", "Amount"),
        Field("journal_id", "many2one", "Journal", relation="account.journal"),
        Field("payment_date", "date", "Payment Date"),
        Field("communication", "char", "Memo"),
        Field("payment_method_line_id", "many2one", "Payment Method", relation="account.journal"),
        methods=("action_create_payments",),
    ),
)
MODELS.update({spec.name: spec for spec in SPECS})
for _name in ("res.partner", "sale.order"):  # mail.thread models gain message_post
    _spec = MODELS[_name]
    MODELS[_name] = replace(_spec, methods=(*_spec.methods, *_THREAD))
_sale = MODELS["sale.order"]
_sale.fields["invoice_status"] = Field(
    "invoice_status", "selection", "Invoice Status", readonly=True, default="no", selection=(
        ("upselling", "Upselling Opportunity"), ("invoiced", "Fully Invoiced"),
        ("to invoice", "To Invoice"), ("no", "Nothing to Invoice")))
_sale.fields["payment_term_id"] = Field("payment_term_id", "many2one", "Payment Terms",
                                        relation="account.payment.term")


def attachment_values(name: str, raw: bytes, mimetype: str, **extra: object) -> dict:
    """The stored values of one attachment (base64 datas, size, SHA-1) as Odoo computes them."""
    return {"name": name, "datas": base64.b64encode(raw).decode(), "mimetype": mimetype,
            "file_size": len(raw), "type": "binary",
            "checksum": hashlib.sha1(raw, usedforsecurity=False).hexdigest() if raw else False,
            "res_field": False, "public": False, "description": False, **extra}


def _unnamed(values: dict) -> dict:
    return {k: v for k, v in values.items() if k != "name"}


INVOICE_PDF = pdf_document("INVOICE INV/2025/00001")


def seed_tables(db: str) -> dict[str, dict[int, dict]]:
    """Records of the automation models: journals, subtypes, one posted invoice with its stored PDF."""
    from .seed import _table

    tables = {
        "mail.message.subtype": _table("mail.message.subtype", [(1, "Discussions", {}), (2, "Note", {})]),
        "account.journal": _table("account.journal", [
            (1, "Customer Invoices", {"type": "sale"}), (6, "Bank", {"type": "bank"})]),
        "mail.message": {}, "account.payment": {}, "sale.advance.payment.inv": {},
        "account.payment.register": {},
        "account.payment.term": _table("account.payment.term", [(4, "30 Days", {})]),
        "ir.actions.report": _table("ir.actions.report", [  # the reports /report/pdf/ prints
            (1, "PDF", {"report_name": "account.account_invoices", "model": "account.move"}),
            (2, "PDF without Payment", {"report_name": "account.report_invoice", "model": "account.move"}),
            (3, "Quotation / Order", {"report_name": "sale.report_saleorder", "model": "sale.order"})]),
        "ir.attachment": _table("ir.attachment", [(1, "INV_2025_00001.pdf", _unnamed(attachment_values(
            "INV_2025_00001.pdf", INVOICE_PDF, "application/pdf", res_model="account.move", res_id=1,
            res_field="invoice_pdf_report_file")))]),
        "account.move": _table("account.move", [(1, "INV/2025/00001", {
            "partner_id": 2, "move_type": "out_invoice", "state": "posted", "amount_total": 1740.0,
            "amount_residual": 1740.0, "date": "2025-01-06", "invoice_pdf_report_id": 1,
            "invoice_origin": "S00001"})] if db == "demo" else []),
    }
    return tables


def seed_database(db: object) -> None:
    """Add the automation tables and access to a fresh database (called by ``Database``)."""
    tables = db.tables  # type: ignore[attr-defined]
    tables.update(seed_tables(db.name))  # type: ignore[attr-defined]
    for order in tables["sale.order"].values():
        order["invoice_status"] = "to invoice" if order["state"] == "sale" else "no"
    # Attachments and messages: every user may try; the record's own access decides (Odoo's rules).
    for login in ("restricted", "portal"):
        db.access[(login, "ir.attachment")] = "rwcu"  # type: ignore[attr-defined]
        db.access[(login, "mail.message")] = "rwc"  # type: ignore[attr-defined]
