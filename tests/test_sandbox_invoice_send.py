"""The sandbox's Send & Print wizard stores an invoice PDF as Odoo 18 does (sandbox/facts/invoice-send.md)."""

from __future__ import annotations

import base64
import xmlrpc.client

import pytest

from tests.test_sandbox_automations import execute  # noqa: F401 - a fixture

WIZARD = "account.move.send.wizard"


def _draft_invoice(execute) -> int:  # noqa: F811
    orders = execute("sale.order", "search", [[["invoice_status", "=", "to invoice"]]], {"limit": 1})
    context = {"active_model": "sale.order", "active_ids": orders}
    [wizard] = execute("sale.advance.payment.inv", "create", [[{}]], {"context": context})
    return execute("sale.advance.payment.inv", "create_invoices", [[wizard]], {"context": context})["res_id"]


def _send(execute, move: int, values: dict):  # noqa: F811
    context = {"active_model": "account.move", "active_ids": [move], "active_id": move}
    [wizard] = execute(WIZARD, "create", [[values]], {"context": context})
    return execute(WIZARD, "action_send_and_print", [[wizard]], {"context": context})


def _pdf_of(execute, move: int):  # noqa: F811
    return execute("account.move", "read", [[move], ["invoice_pdf_report_id"]])[0]["invoice_pdf_report_id"]


def test_send_and_print_refuses_a_draft_invoice(execute) -> None:  # noqa: F811
    move = _draft_invoice(execute)
    with pytest.raises(xmlrpc.client.Fault) as caught:
        _send(execute, move, {"sending_methods": ["manual"]})
    assert "You can't generate invoices that are not posted." in caught.value.faultString
    assert _pdf_of(execute, move) is False


def test_download_only_stores_the_pdf_once_and_mails_nothing(execute) -> None:  # noqa: F811
    move = _draft_invoice(execute)
    execute("account.move", "action_post", [[move]])
    answer = _send(execute, move, {"sending_methods": ["manual"]})
    row = execute("account.move", "read", [[move], ["name", "invoice_pdf_report_id", "is_move_sent"]])[0]
    stored, name = row["invoice_pdf_report_id"]
    assert name == row["name"].replace("/", "_") + ".pdf" and row["is_move_sent"] is True
    assert answer == {"type": "ir.actions.act_url", "close": True,
                      "url": f"/account/download_invoice_attachments/{stored}"}
    [pdf] = execute("ir.attachment", "read", [[stored], ["datas", "res_field", "res_model", "res_id"]])
    assert base64.b64decode(pdf["datas"]).startswith(b"%PDF-")
    assert (pdf["res_field"], pdf["res_model"], pdf["res_id"]) == (
        "invoice_pdf_report_file", "account.move", move)
    again = _send(execute, move, {"sending_methods": ["manual"]})
    assert again["url"].endswith(f"/{stored}")  # a stored PDF is not rendered again
    mails = execute("mail.message", "search_read", [[["model", "=", "account.move"], ["res_id", "=", move],
                                                      ["message_type", "=", "comment"]]], {"fields": ["id"]})
    assert mails == []


def test_by_email_posts_the_pdf_to_the_customer(execute) -> None:  # noqa: F811
    move = _draft_invoice(execute)
    execute("account.move", "action_post", [[move]])
    assert _send(execute, move, {}) == {"type": "ir.actions.act_window_close"}
    stored = _pdf_of(execute, move)[0]
    [mail] = execute("mail.message", "search_read", [[["model", "=", "account.move"], ["res_id", "=", move],
                                                       ["message_type", "=", "comment"]]],
                     {"fields": ["attachment_ids", "partner_ids"]})
    assert mail["attachment_ids"] == [stored] and mail["partner_ids"]
