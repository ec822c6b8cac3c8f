"""The ``get_report`` tool: a report's PDF for record ids, e.g. an invoice or a quotation.

Odoo has no report service over XML-RPC or JSON-2. What Odoo already stored comes first (an
invoice's PDF attachment, ``invoice_pdf_report_id``, set by Send & Print); otherwise the PDF is
rendered by Odoo's ``/report/pdf`` route with a web session (``app.odoo.websession``), which Odoo
grants to password logins only. R on the records' model.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from marshmallow import fields as ma
from marshmallow import validate

from app.base.errors import NotFound, OdooAccessError, PayloadTooLarge
from app.core import fields as odoo_fields
from app.core.automations.files import ATTACHMENT, _meta, must_exist
from app.core.batch import StrictBoolean
from app.core.tools import OdooCall, Tool, ToolArgs
from app.odoo.websession import ReportRefused

# reports whose PDF Odoo stores on the record, and the many2one naming the stored attachment
STORED = {("account.move", "account.report_invoice"): "invoice_pdf_report_id",
          ("account.move", "account.account_invoices"): "invoice_pdf_report_id"}
REPORT_ACTION = "ir.actions.report"
_REPORT = re.compile(r"^[A-Za-z0-9_]+\.[A-Za-z0-9_.]+$")


class ReportArgs(ToolArgs):
    ids = odoo_fields.ids(100, required=True)
    report = ma.String(required=True, validate=validate.Regexp(_REPORT, error="Not a report name "
                       "(module.name, e.g. account.report_invoice)."), metadata={
        "description": "Report name, e.g. account.report_invoice or sale.report_saleorder",
        "example": "account.report_invoice"})
    stored = StrictBoolean(load_default=True, metadata={
        "description": "Return the PDF Odoo stored for the record when there is one (default true)"})


def report_tools(web: Any, max_bytes: int) -> tuple[Tool, ...]:
    """The report tool, rendering with ``web`` (a ``WebSessions``) and bounded by ``max_bytes``."""

    def run(odoo: OdooCall, a: dict) -> dict:
        found = _stored(odoo, a, max_bytes) if a["stored"] else None
        if found is None:
            _check_report(odoo, a)
            try:
                raw = web.report_pdf(odoo.credentials, a["report"], a["ids"])  # type: ignore[attr-defined]
            except ReportRefused:
                must_exist(odoo, a["model"], *a["ids"])  # a caller's mistake is a 4xx, not an outage
                raise
            name = f"{a['report']}-{'-'.join(map(str, a['ids']))}.pdf"
            found = {"name": name, "source": "rendered", "data": base64.b64encode(raw).decode(),
                     "file_size": len(raw), "attachment_id": None}
        return {**found, "mimetype": "application/pdf", "report": a["report"], "ids": a["ids"]}

    return (Tool("get_report", "R", "A report's PDF for record ids (base64 here; raw application/pdf at "
                 "GET /reports/{model}/{report}/{ids}).", ReportArgs, run, example={
                     "model": "account.move", "ids": [1], "report": "account.report_invoice"}),)
    # No FieldArgs: a report prints any field of the record and of related records, so a key with
    # field rules cannot run it (app/core/access/fieldpolicy.py closes undeclared tools).


def _check_report(odoo: OdooCall, a: dict) -> None:
    """404 for a report Odoo does not have, or one printing another model than ``model``.

    ``/report/pdf/<report>/<ids>`` prints the ids as records of the report's own model, so the
    scope's R on ``model`` only covers reports of that model."""
    try:
        rows = odoo("search_read", [[["report_name", "=", a["report"]]]],
                    {"fields": ["model"], "limit": 1}, model=REPORT_ACTION)
    except OdooAccessError:
        raise OdooAccessError(f"Odoo does not let this user read {REPORT_ACTION}, so the gateway "
                              f"cannot check which model {a['report']!r} prints.") from None
    if not rows:
        raise NotFound(f"Odoo has no report {a['report']!r}: use a report's technical name, e.g. "
                       "account.report_invoice (invoices) or sale.report_saleorder (orders).")
    if rows[0].get("model") != a["model"]:
        raise NotFound(f"Odoo has no report {a['report']!r} for {a['model']}: it prints "
                       f"{rows[0].get('model')} records.")


def _stored(odoo: OdooCall, a: dict, max_bytes: int) -> dict | None:
    """The PDF Odoo stored for the one record, or None."""
    field = STORED.get((a["model"], a["report"]))
    if field is None or len(a["ids"]) != 1:
        return None
    rows = odoo("read", [a["ids"], [field]], {})
    link = rows[0].get(field) if rows else False
    if not link:
        return None
    meta = _meta(odoo, link[0])
    if (meta.get("file_size") or 0) > max_bytes:
        raise PayloadTooLarge(f"The PDF is {meta['file_size']} bytes, above FILE_MAX_BYTES ({max_bytes}).")
    data = odoo("read", [[link[0]], ["datas"]], {}, model=ATTACHMENT)[0].get("datas") or ""
    return {"name": meta["name"], "source": "attachment", "data": data,
            "file_size": meta["file_size"], "attachment_id": link[0]}
