"""Field trials, round two (issue 21 items 1-6, 10, 12): files, wizards, payments and reports answer
what a caller can act on, through HTTP (Flask client) against the sandbox playing Odoo 18 and 19."""

from __future__ import annotations

import base64
import hashlib
import io
from urllib.parse import quote

import pytest

from tests.conftest import ADMIN_API_KEY, Api

EMPTY_SHA1 = hashlib.sha1(b"", usedforsecurity=False).hexdigest()


def attachments(odoo) -> list[dict]:
    return odoo.records("demo", "ir.attachment")


# -- item 1: any name Odoo holds downloads ------------------------------------------------------

@pytest.mark.parametrize(("name", "ascii_name", "exact"), [
    ("line\r\nX-Injected: yes.txt", "lineX-Injected: yes.txt", "lineX-Injected: yes.txt"),
    ('quo"te\\back\t\x7f\u2028.txt', "quo_te_back.txt", 'quo"te\\back.txt'),
    ("résumé 日本.pdf", "resume .pdf", "résumé 日本.pdf"),
])
def test_any_file_name_downloads_with_a_safe_content_disposition(api, admin_key, name, ascii_name,
                                                                exact) -> None:
    created = api.result(admin_key, "attach_file", model="res.partner", id=2, filename=name,
                         data="aGk=")
    assert "X-Injected" not in created["name"] or "\n" in created["name"]  # kept as given
    down = api.client.get(f"/files/res.partner/2/{created['id']}", headers={"X-API-Key": admin_key})
    assert down.status_code == 200 and down.data == b"hi"
    assert "X-Injected" not in down.headers
    assert down.headers["Content-Disposition"] == (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(exact, safe='')}")


def test_a_name_of_control_characters_only_downloads_under_a_fallback_name(api, admin_key) -> None:
    created = api.result(admin_key, "attach_file", model="res.partner", id=2, filename="\r\n",
                         data="aGk=")
    down = api.client.get(f"/files/res.partner/2/{created['id']}", headers={"X-API-Key": admin_key})
    assert down.status_code == 200
    assert f'filename="file-{created["id"]}"' in down.headers["Content-Disposition"]


# -- items 2 and 3: nothing is attached to a record or model that does not exist ----------------

@pytest.mark.parametrize("version", ["18.0", "19.0"])
def test_an_upload_onto_a_missing_record_is_404_and_creates_nothing(api, admin_key, odoo, version) -> None:
    odoo.version = version
    before = attachments(odoo)
    up = api.client.post("/files/res.partner/987654321", headers={"X-API-Key": admin_key},
                         data={"file": (io.BytesIO(b"hello"), "hello.txt")},
                         content_type="multipart/form-data")
    assert up.status_code == 404 and up.json["status"] == "not_found"
    assert "res.partner 987654321 does not exist" in up.json["error"]
    assert attachments(odoo) == before and odoo.sent("create") == []
    again = api.call(admin_key, "attach_file", model="res.partner", id=987654321, filename="a.txt",
                     data="YQ==")
    assert again.status_code == 404 and attachments(odoo) == before


def test_an_upload_onto_an_unknown_model_is_404_naming_it(api, odoo) -> None:
    key = api.key(scope="res.partnr:RW")
    before = attachments(odoo)
    up = api.client.post("/files/res.partnr/1", headers={"X-API-Key": key},
                         data={"file": (io.BytesIO(b"hello"), "hello.txt")},
                         content_type="multipart/form-data")
    assert up.status_code == 404 and "no model 'res.partnr'" in up.json["error"]
    assert attachments(odoo) == before


@pytest.mark.parametrize("tool", ["list_attachments", "read_messages"])
def test_reading_files_or_messages_of_an_unknown_model_or_record_is_404(api, tool, transport) -> None:
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope="res.partnr:R,res.partner:R")
    typo = api.call(key, tool, model="res.partnr", id=1)
    assert typo.status_code == 404 and "no model 'res.partnr'" in typo.json["error"]
    missing = api.call(key, tool, model="res.partner", id=987654321)
    assert missing.status_code == 404 and "987654321" in missing.json["error"]
    assert api.result(key, tool, model="res.partner", id=2)["id"] == 2


def test_files_of_an_archived_record_are_listed(api, admin_key, odoo) -> None:
    api.result(admin_key, "write", model="res.partner", ids=[2], values={"active": False})
    assert api.result(admin_key, "list_attachments", model="res.partner", id=2)["count"] == 0


# -- item 4: a wizard whose action holds None still answers `next` ------------------------------

WIZARDS = ("*:RWD,sale.advance.payment.inv:X(create_invoices),account.move:RX(action_post),"
           "account.payment.register:X(action_create_payments)")


def test_invoicing_a_customer_without_payment_terms_answers_the_invoice(api, transport, odoo) -> None:
    key = api.key(password=ADMIN_API_KEY, transport=transport, scope=WIZARDS)
    invoiced = api.result(key, "run_wizard", model="sale.advance.payment.inv",
                          method="create_invoices", values={"advance_payment_method": "delivered"},
                          active_model="sale.order", active_ids=[3])
    assert invoiced["action"]["context"]["default_invoice_payment_term_id"] is None
    move = invoiced["next"]
    assert move["model"] == "account.move"
    assert odoo.records("demo", "account.move")[-1]["id"] == move["id"]
    assert len(odoo.records("demo", "account.move")) == 2  # one invoice, not two


def test_over_xml_rpc_the_wizard_action_goes_over_jsonrpc(api, odoo) -> None:
    key = api.key(scope=WIZARDS)
    odoo.clear_calls()
    api.result(key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
               active_model="sale.order", active_ids=[3])
    assert odoo.paths["/jsonrpc"] == 1  # only the action method, whose answer may hold None
    assert odoo.paths["/xmlrpc/2/object"] >= 1


# -- item 5: the documented payment path refuses a draft invoice --------------------------------

def _draft_invoice(api: Api, key: str) -> int:
    return api.result(key, "run_wizard", model="sale.advance.payment.inv", method="create_invoices",
                      active_model="sale.order", active_ids=[4])["next"]["id"]


@pytest.mark.parametrize("version", ["18.0", "19.0"])
def test_paying_a_draft_invoice_is_refused_and_pays_nothing(api, odoo, version) -> None:
    odoo.version = version
    key = api.key(scope="sale.advance.payment.inv:X(create_invoices),account.move:R,"
                        "account.payment.register:X(action_create_payments)")
    move = _draft_invoice(api, key)
    refused = api.call(key, "run_wizard", model="account.payment.register",
                       method="action_create_payments", active_model="account.move", active_ids=[move])
    assert refused.status_code == 422 and refused.json["status"] == "odoo_error"
    assert refused.json["error"].startswith("You can only register payment for posted journal entries.")
    assert f"account.move {move}" in refused.json["error"]
    assert odoo.records("demo", "account.payment") == []
    assert odoo.sent("action_create_payments") == []
    invoice = odoo.records("demo", "account.move")[-1]
    assert (invoice["state"], invoice["payment_state"]) == ("draft", "not_paid")


# -- item 6: a report mistake is a 4xx naming it; an empty file has a checksum ------------------

@pytest.mark.parametrize(("model", "report", "ids", "status", "words"), [
    ("sale.order", "sale.nope", [1], 404, "no report 'sale.nope'"),
    ("sale.order", "sale.report_saleorder", [1, 987654321], 404, "sale.order 987654321 does not exist"),
    ("sale.order", "account.report_invoice", [1], 404, "for sale.order: it prints account.move records"),
    ("res.partnr", "sale.report_saleorder", [1], 404, "for res.partnr: it prints sale.order records"),
])
def test_report_mistakes_are_4xx_naming_what_is_wrong(api, admin_key, model, report, ids, status,
                                                      words) -> None:
    answer = api.call(admin_key, "get_report", model=model, report=report, ids=ids)
    assert answer.status_code == status and words in answer.json["error"], answer.json
    route = api.client.get(f"/reports/{model}/{report}/{','.join(map(str, ids))}",
                           headers={"X-API-Key": admin_key})
    assert route.status_code == status and words in route.json["error"]


def test_a_report_of_records_the_user_cannot_read_is_403(api) -> None:
    key = api.key(username="portal", password="portal", scope="sale.order:R")
    answer = api.call(key, "get_report", model="sale.order", report="sale.report_saleorder", ids=[1])
    assert answer.status_code == 403 and answer.json["status"] == "odoo_access_error"


def test_an_empty_file_has_the_sha1_of_no_bytes(api, admin_key, odoo) -> None:
    created = api.result(admin_key, "attach_file", model="res.partner", id=2, filename="empty.txt",
                         data="")
    assert created["file_size"] == 0 and created["checksum"] == EMPTY_SHA1
    assert odoo.records("demo", "ir.attachment")[-1]["checksum"] is False  # as Odoo stores it
    listed = api.result(admin_key, "list_attachments", model="res.partner", id=2)["attachments"]
    assert listed[0]["checksum"] == EMPTY_SHA1
    down = api.result(admin_key, "download_file", model="res.partner", id=2, attachment_id=created["id"])
    assert down["checksum"] == EMPTY_SHA1 and down["data"] == ""


# -- item 10: booleans are JSON booleans, as the document says ----------------------------------

@pytest.mark.parametrize(("tool", "arguments"), [
    ("get_report", {"model": "account.move", "ids": [1], "report": "account.report_invoice", "stored": 0}),
    ("get_report", {"model": "account.move", "ids": [1], "report": "account.report_invoice",
                    "stored": "false"}),
    ("post_message", {"model": "res.partner", "id": 2, "body": "hi", "html": 1}),
])
def test_a_boolean_argument_takes_only_true_or_false(api, admin_key, odoo, tool, arguments) -> None:
    answer = api.call(admin_key, tool, **arguments)
    assert answer.status_code == 400 and answer.json["status"] == "invalid_request"
    assert odoo.calls == []


# -- item 12: every automation tool answers the same shapes on Odoo 18 and 19 -------------------

COMBOS = [("18.0", "xmlrpc"), ("18.0", "jsonrpc"), ("19.0", "xmlrpc"), ("19.0", "jsonrpc"),
          ("19.0", "json2")]


def shape(value):
    """The JSON types of an answer, not its values (a bool is not an int)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def flow(api: Api, key: str) -> dict:
    """Each automation tool once, as an order-to-cash automation runs them."""
    r = {}
    r["attach"] = api.result(key, "attach_file", model="res.partner", id=2, filename="a.txt", data="YQ==")
    r["list"] = api.result(key, "list_attachments", model="res.partner", id=2)
    r["download"] = api.result(key, "download_file", model="res.partner", id=2,
                               attachment_id=r["attach"]["id"])
    r["post"] = api.result(key, "post_message", model="res.partner", id=2, body="hi",
                           attachment_ids=[r["attach"]["id"]])
    r["read"] = api.result(key, "read_messages", model="res.partner", id=2, limit=1)
    r["report"] = api.result(key, "get_report", model="account.move", ids=[1],
                             report="account.report_invoice")
    r["invoice"] = api.result(key, "run_wizard", model="sale.advance.payment.inv",
                              method="create_invoices", active_model="sale.order", active_ids=[3])
    move = r["invoice"]["next"]["id"]
    r["draft"] = api.call(key, "run_wizard", model="account.payment.register",
                          method="action_create_payments", active_model="account.move",
                          active_ids=[move]).status_code
    api.result(key, "call", model="account.move", method="action_post", ids=[move])
    r["pay"] = api.result(key, "run_wizard", model="account.payment.register",
                          method="action_create_payments", active_model="account.move",
                          active_ids=[move])
    r["paid"] = api.result(key, "read", model="account.move", ids=[move],
                           fields=["payment_state", "state"])["records"][0]
    return r


def test_automation_tools_answer_the_same_shapes_on_odoo_18_and_19_over_each_transport(api, odoo) -> None:
    answers = {}
    for version, transport in COMBOS:
        odoo.reset()
        odoo.version = version
        key = api.key(password=ADMIN_API_KEY, transport=transport, scope=WIZARDS)
        answers[(version, transport)] = flow(api, key)
    first = answers[COMBOS[0]]
    assert isinstance(first["post"]["message_id"], int) and first["draft"] == 422
    assert first["invoice"]["next"]["model"] == "account.move"
    assert first["paid"] == {"id": first["invoice"]["next"]["id"], "payment_state": "paid",
                             "state": "posted"}
    for combo, found in answers.items():
        assert shape(found) == shape(first), combo
        assert found["post"]["message_id"] == found["read"]["messages"][0]["id"], combo
        assert (found["draft"], found["paid"]["payment_state"]) == (422, "paid"), combo
        assert base64.b64decode(found["report"]["data"]).startswith(b"%PDF-"), combo
