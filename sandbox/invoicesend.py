"""Odoo 18's Send & Print wizard (``account.move.send.wizard``): the way an invoice PDF gets stored.

``create`` with ``active_model``/``active_id`` in the context opens it on one posted invoice
(``move_id``); ``action_send_and_print`` renders the invoice PDF once, stores it as the attachment
behind ``invoice_pdf_report_file`` (``invoice_pdf_report_id``) and marks the invoice sent. With
``sending_methods: ["manual"]`` ("Download") it e-mails nothing and answers the download action;
by e-mail it posts the PDF to the customer on the invoice's chatter. Facts:
sandbox/facts/invoice-send.md (observed on a real Odoo 18); the schema is in
``sandbox.mailmodels``.
"""

from __future__ import annotations

from .accounting import Wizard
from .faults import UserError
from .mail import SUBTYPES, ThreadModel
from .mailmodels import attachment_values, pdf_document

_NOT_POSTED = "You can't generate invoices that are not posted."


class SendWizard(Wizard):
    """account.move.send.wizard: one posted invoice; action_send_and_print stores its PDF."""

    def create(self, vals_list):
        """Open the wizard on the context's invoice; draft invoices are refused as in Odoo."""
        many = isinstance(vals_list, list)
        moves = self._active("account.move")
        table = self.db.tables["account.move"]
        if any(table[m]["state"] != "posted" for m in moves):
            raise UserError(_NOT_POSTED)
        ids = [self.db.create(self.name, {"move_id": moves[0] if moves else False,
                                          "sending_methods": ["email"], **vals}, self.uid)
               for vals in (vals_list if many else [vals_list])]
        return ids if many else ids[0]

    def action_send_and_print(self, ids):
        """Store the PDF (once), mark the invoice sent; e-mail it unless only "manual" is chosen."""
        wizard = self.table[self._existing(ids)[0]]
        move = self.db.tables["account.move"][wizard["move_id"]]
        if not move["invoice_pdf_report_id"]:  # Odoo does not regenerate a stored PDF
            name = str(move["name"]).replace("/", "_") + ".pdf"
            raw = pdf_document(f"INVOICE {move['name']}")
            attachment = self.db.create("ir.attachment", attachment_values(
                name, raw, "application/pdf", res_model="account.move", res_id=move["id"],
                res_field="invoice_pdf_report_file"), self.uid)
            self.db.write("account.move", [move["id"]], {"invoice_pdf_report_id": attachment}, self.uid)
        move["is_move_sent"] = True
        methods = wizard["sending_methods"] or []
        if "email" in methods:
            ThreadModel(self.db, "account.move", self.uid, {})._log(
                move["id"], f"<p>Invoice {move['name']}</p>", "comment", SUBTYPES["mail.mt_comment"],
                partner_ids=[move["partner_id"]], attachment_ids=[move["invoice_pdf_report_id"]])
        if "manual" in methods:
            return {"type": "ir.actions.act_url", "close": True,
                    "url": f"/account/download_invoice_attachments/{move['invoice_pdf_report_id']}"}
        return {"type": "ir.actions.act_window_close"}
