"""Chatter, wizards, reports and files through HTTP (Flask client) against the sandbox: MCP, metrics,
rate limits, web sessions, and the two documented wizard flows (invoice an order, register a payment)."""

from __future__ import annotations

import base64
import time

from tests.mcp_rpc import INIT_PARAMS, Rpc
from tests.test_metrics_e2e import scrape, value


def test_post_a_note_and_a_message_then_read_them_newest_first(api, admin_key, odoo) -> None:
    file = api.result(admin_key, "attach_file", model="res.partner", id=2, filename="a.txt",
                      data="YQ==")
    note = api.result(admin_key, "post_message", model="res.partner", id=2, body="<b>call back</b>")
    assert note["status"] == "posted" and isinstance(note["message_id"], int)
    sent = api.result(admin_key, "post_message", model="res.partner", id=2, kind="comment",
                      body="<p>Offer <b>sent</b></p>", html=True, partner_ids=[3],
                      attachment_ids=[file["id"]])
    posted = odoo.sent("message_post")
    assert posted[-1]["subtype_xmlid"] == "mail.mt_comment"
    assert posted[-1]["attachment_ids"] == [file["id"]]  # a plain list of ids
    messages = api.result(admin_key, "read_messages", model="res.partner", id=2)["messages"]
    assert [m["id"] for m in messages] == [sent["message_id"], note["message_id"]]
    assert messages[0]["body"] == "<p>Offer <b>sent</b></p>" and messages[0]["partner_ids"] == [3]
    assert messages[0]["subtype_id"][1] == "Discussions" and messages[0]["attachment_ids"] == [file["id"]]
    assert messages[1]["body"] == "<p>&lt;b&gt;call back&lt;/b&gt;</p>"  # text is escaped by Odoo
    assert messages[1]["subtype_id"][1] == "Note"


def test_chatter_needs_w_to_post_and_r_to_read(api, odoo) -> None:
    reader = api.key(scope="res.partner:R")
    odoo.clear_calls()
    refused = api.call(reader, "post_message", model="res.partner", id=1, body="hi")
    assert refused.status_code == 403 and odoo.calls == []
    assert api.result(reader, "read_messages", model="res.partner", id=1)["count"] == 0
    restricted = api.key(username="restricted", password="restricted", scope="*:RW")
    denied = api.call(restricted, "post_message", model="account.move", id=1, body="hi")  # Odoo: read only
    assert denied.status_code == 403 and "Operation: create" in denied.json["error"]


def test_invoice_a_sale_order_then_register_its_payment(api, odoo) -> None:
    key = api.key(scope="sale.advance.payment.inv:X(create_invoices),account.move:RX(action_post),"
                        "account.payment.register:X(action_create_payments),sale.order:R,account.payment:R")
    invoiced = api.result(key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
                          values={"advance_payment_method": "delivered"}, active_model="sale.order",
                          active_ids=[4])
    assert invoiced["action"]["type"] == "ir.actions.act_window"
    move = invoiced["next"]
    assert move["model"] == "account.move"
    created = odoo.sent("create")[-1]
    assert created["context"] == {"active_model": "sale.order", "active_ids": [4], "active_id": 4}
    order = api.result(key, "read", model="sale.order", ids=[4], fields=["invoice_status"])["records"][0]
    assert order["invoice_status"] == "invoiced"
    again = api.call(key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
                     active_model="sale.order", active_ids=[4])
    assert again.status_code == 422 and again.json["error"].startswith("Cannot create an invoice.")

    posted = api.result(key, "call", model="account.move", method="action_post", ids=[move["id"]])
    assert posted["value"] is False
    paid = api.result(key, "run_wizard", model="account.payment.register", method="action_create_payments",
                      active_model="account.move", active_ids=[move["id"]])
    assert paid["next"]["model"] == "account.payment"
    invoice = api.result(key, "read", model="account.move", ids=[move["id"]],
                         fields=["payment_state", "name"])["records"][0]
    assert invoice["payment_state"] == "paid" and invoice["name"].startswith("INV/")
    payment = api.result(key, "read", model="account.payment", ids=[paid["next"]["id"]],
                         fields=["amount"])["records"][0]
    assert payment["amount"] == 2240.0


def test_wizards_need_x_on_the_wizard_and_method(api, odoo) -> None:
    key = api.key(scope="sale.advance.payment.inv:X(other),*:RW")
    odoo.clear_calls()
    refused = api.call(key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
                       active_model="sale.order", active_ids=[3])
    assert refused.status_code == 403 and "X(create_invoices)" in refused.json["error"]
    crud = api.call(key, "run_wizard", model="sale.advance.payment.inv", method="unlink",
                    active_model="sale.order", active_ids=[3])
    private = api.call(key, "run_wizard", model="sale.advance.payment.inv", method="_create_invoices",
                       active_model="sale.order", active_ids=[3])
    assert crud.status_code == 400 and private.status_code == 400
    assert odoo.calls == []


def test_mcp_answers_files_as_embedded_resources(api, client, admin_key) -> None:
    rpc = Rpc(client, admin_key)
    rpc.result("initialize", INIT_PARAMS)
    made = api.result(admin_key, "attach_file", model="res.partner", id=1, filename="b.bin",
                      data=base64.b64encode(b"\x00\x01\x02").decode())
    answer = rpc.result("tools/call", {"name": "download_file", "arguments": {
        "model": "res.partner", "id": 1, "attachment_id": made["id"]}})
    text, resource = answer["content"]
    assert resource["type"] == "resource" and resource["resource"]["blob"] == "AAEC"
    assert resource["resource"]["mimeType"] == "application/octet-stream"
    assert "data" not in answer["structuredContent"] and "AAEC" not in text["text"]
    pdf = rpc.result("tools/call", {"name": "get_report", "arguments": {
        "model": "account.move", "ids": [1], "report": "account.report_invoice"}})
    blob = pdf["content"][1]["resource"]
    assert blob["mimeType"] == "application/pdf" and base64.b64decode(blob["blob"]).startswith(b"%PDF-")


def test_new_calls_are_counted_and_rate_limited(api, client, make_app, odoo) -> None:
    key = api.key()
    client.get("/files/res.partner/1", headers={"X-API-Key": key})
    api.call(key, "read_messages", model="res.partner", id=1)
    samples = scrape(client)
    assert value(samples, "gateway_requests_total", endpoint="/files/<model>/<int:record_id>",
                 tool="list_attachments", status="200") == 1
    assert value(samples, "gateway_requests_total", endpoint="/tools/call", tool="read_messages",
                 status="200") == 1
    limited = make_app(rate_limit="2/minute").test_client()
    minted = limited.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                                   "password": "admin", "scope": "*:R"}).json["api_key"]
    codes = [limited.get("/files/res.partner/1", headers={"X-API-Key": minted}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]


def test_web_sessions_are_reused_and_renewed(api, admin_key, odoo) -> None:
    for _ in range(2):
        assert api.result(admin_key, "get_report", model="sale.order", ids=[1],
                          report="sale.report_saleorder")["source"] == "rendered"
    assert odoo.count(service="web", method="authenticate") == 1
    odoo.web_sessions.clear()  # Odoo restarted: the cookie is dead, log in again once
    assert api.result(admin_key, "get_report", model="sale.order", ids=[2],
                      report="sale.report_saleorder")["file_size"] > 0
    assert odoo.count(service="web", method="authenticate") == 2
    unknown = api.call(admin_key, "get_report", model="sale.order", ids=[1], report="sale.nope")
    assert unknown.status_code == 404 and "no report 'sale.nope'" in unknown.json["error"]


def test_reports_are_bounded_in_time_and_size(make_app, odoo) -> None:
    client = make_app(report_timeout_seconds=0.5, file_max_bytes=400).test_client()
    key = client.post("/auth/generate", json={"url": odoo.url, "database": "demo", "username": "admin",
                                              "password": "admin", "scope": "*:R"}).json["api_key"]
    headers = {"X-API-Key": key}
    too_big = client.get("/reports/sale.order/sale.report_saleorder/1", headers=headers)
    assert too_big.status_code == 413 and "FILE_MAX_BYTES" in too_big.json["error"]
    stored = client.get("/reports/account.move/account.report_invoice/1", headers=headers)
    assert stored.status_code == 413  # the stored PDF (597 bytes) is refused before its bytes are read
    odoo.failure = "hang"
    try:
        started = time.monotonic()
        slow = client.get("/reports/sale.order/sale.report_saleorder/2?stored=false", headers=headers)
        assert slow.status_code == 504 and time.monotonic() - started < 5
    finally:
        odoo.failure = None


def test_every_new_tool_runs_over_both_transports(api, any_key, client, transport) -> None:
    made = api.result(any_key, "attach_file", model="res.partner", id=3, filename="x.csv", data="YSxiCg==")
    down = client.get(f"/files/res.partner/3/{made['id']}", headers={"X-API-Key": any_key})
    assert down.data == b"a,b\n" and down.headers["Content-Type"].startswith("text/csv")
    posted = api.result(any_key, "post_message", model="res.partner", id=3, body="hi",
                        attachment_ids=[made["id"]])
    assert api.result(any_key, "read_messages", model="res.partner", id=3)["messages"][0]["id"] == \
        posted["message_id"]
    invoiced = api.result(any_key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
                          active_model="sale.order", active_ids=[3])
    assert invoiced["next"]["model"] == "account.move"
    stored = api.result(any_key, "get_report", model="account.move", ids=[1], report="account.report_invoice")
    assert stored["source"] == "attachment"  # an API key gets what Odoo stored
    refused = api.call(any_key, "get_report", model="sale.order", ids=[1], report="sale.report_saleorder")
    assert refused.status_code == 422 and refused.json["status"] == "report_needs_password"


def test_openapi_documents_binary_bodies_and_answers(client) -> None:
    paths = client.get("/openapi.json").json["paths"]
    upload = paths["/files/{model}/{record_id}"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert "application/json" in upload
    download = paths["/files/{model}/{record_id}/{attachment_id}"]["get"]["responses"]["200"]["content"]
    assert download["*/*"]["schema"]["format"] == "binary"  # the file's own type
    pdf = paths["/reports/{model}/{report}/{ids}"]["get"]
    assert pdf["responses"]["200"]["content"]["application/pdf"]["schema"]["format"] == "binary"
    assert [p["name"] for p in pdf["parameters"]] == ["model", "report", "ids"]
