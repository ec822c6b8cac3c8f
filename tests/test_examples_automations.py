"""The files, reports, chatter and wizard examples (curl scripts, n8n workflow) against gunicorn."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.test_examples import curl, gateway, mint, replay, workflow  # noqa: F401 - gateway is a fixture
from tests.test_sandbox_automations import ADMIN_KEY

pytestmark = pytest.mark.slow
FLOW_SCOPE = ("sale.advance.payment.inv:X(create_invoices),account.move:RX(action_post),"
              "account.payment.register:X(action_create_payments),sale.order:RW,res.partner:RW")
# what invoice-and-pay-order.json's note asks for: the flow plus Send & Print, without res.partner
WORKFLOW_SCOPE = ("sale.advance.payment.inv:X(create_invoices),account.move:RX(action_post),"
                  "account.payment.register:X(action_create_payments),"
                  "account.move.send.wizard:X(action_send_and_print),sale.order:RW")


def test_curl_files_reports_chatter_and_wizards(gateway, odoo, tmp_path) -> None:  # noqa: F811
    env = {"GATEWAY_URL": gateway, "API_KEY": mint(gateway, odoo, FLOW_SCOPE), "PARTNER_ID": "7"}

    def run(script: str, **extra: str) -> dict:
        done = curl(script, **env, **extra)
        assert done.returncode == 0, f"{script}: {done.stdout} {done.stderr}"
        return json.loads(done.stdout)["result"] if done.stdout else {}

    upload = tmp_path / "scan.bin"
    upload.write_bytes(bytes(range(256)) * 40)
    sent = run("attach_file", FILE=str(upload))
    text = run("attach_file_base64")
    assert sent["file_size"] == 10240 and text["mimetype"] == "text/plain"
    listed = run("list_attachments")
    assert [a["id"] for a in listed["attachments"]] == [text["id"], sent["id"]]
    back = tmp_path / "back.bin"
    run("download_file", ATTACHMENT_ID=str(sent["id"]), OUT=str(back))
    assert hashlib.sha1(back.read_bytes(), usedforsecurity=False).hexdigest() == sent["checksum"]

    note = run("post_message")
    messages = run("read_messages")["messages"]
    assert messages[0]["id"] == note["message_id"] and "Friday" in messages[0]["body"]

    invoiced = run("invoice_order", ORDER_ID="3")
    invoice = str(invoiced["next"]["id"])
    assert run("post_invoice", INVOICE_ID=invoice)["value"] is False
    paid = run("register_payment", INVOICE_ID=invoice)
    assert paid["next"]["model"] == "account.payment"
    moves = {m["id"]: m for m in odoo.records("demo", "account.move")}
    assert moves[int(invoice)]["payment_state"] == "paid"
    pdf = tmp_path / "invoice.pdf"
    run("get_report", INVOICE_ID=invoice, OUT=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("password", ["admin", ADMIN_KEY], ids=["password key", "api-key key"])
def test_n8n_invoices_pays_and_files_the_pdf(gateway, odoo, password) -> None:  # noqa: F811
    key = mint(gateway, odoo, WORKFLOW_SCOPE, password=password)
    run = replay("invoice-and-pay-order", gateway, api_key=key, order_id=4)
    invoice = run.outputs["Invoice the order"][0]["result"]["next"]["id"]
    assert run.outputs["Register the payment"][0]["result"]["next"]["model"] == "account.payment"
    move = {m["id"]: m for m in odoo.records("demo", "account.move")}[invoice]
    assert move["payment_state"] == "paid" and move["is_move_sent"] and move["invoice_pdf_report_id"]
    report = next(r for r in run.requests if "/reports/" in r.url)
    assert report.headers["X-Report-Source"] == "attachment"  # Odoo's stored PDF: no web session needed
    pdf = run.outputs["Get the invoice PDF"][0]["$binary"]["data"]
    assert pdf["data"].startswith(b"%PDF-") and pdf["mimeType"] == "application/pdf"
    assert pdf["fileName"] == move["name"].replace("/", "_") + ".pdf"
    attached = run.outputs["Attach the PDF to the order"][0]["result"]
    assert (attached["res_model"], attached["res_id"]) == ("sale.order", 4)
    assert attached["file_size"] == len(pdf["data"])
    assert run.outputs["Note in the chatter"][0]["result"]["status"] == "posted"
    files = [a for a in odoo.records("demo", "ir.attachment") if a["res_model"] == "sale.order"]
    messages = [m for m in odoo.records("demo", "mail.message") if m["model"] == "sale.order"]
    assert [f["id"] for f in files] == messages[-1]["attachment_ids"]
    mailed = [m for m in odoo.records("demo", "mail.message")
              if m["model"] == "account.move" and m["message_type"] == "comment"]
    assert mailed == []  # Download only: nothing is e-mailed to the customer


def test_n8n_invoice_rerun_stops_before_writing(gateway, odoo) -> None:  # noqa: F811
    key = mint(gateway, odoo, WORKFLOW_SCOPE, password=ADMIN_KEY)
    replay("invoice-and-pay-order", gateway, api_key=key, order_id=4)
    before = {model: len(odoo.records("demo", model)) for model in ("account.move", "account.payment",
                                                                     "ir.attachment", "mail.message")}
    with pytest.raises(AssertionError, match="422.*No items are available to invoice"):
        replay("invoice-and-pay-order", gateway, api_key=key, order_id=4)
    assert before == {model: len(odoo.records("demo", model)) for model in before}


def test_n8n_invoice_note_names_the_scope_it_needs() -> None:
    data = workflow("invoice-and-pay-order")
    note = next(n for n in data["nodes"] if n["type"] == "n8n-nodes-base.stickyNote")["parameters"]["content"]
    assert all(entry in note for entry in WORKFLOW_SCOPE.split(",")), note
