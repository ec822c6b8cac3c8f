"""The sandbox answers attachments, chatter, wizards and web routes as Odoo 18 does (facts files)."""

from __future__ import annotations

import http.client
import json
import xmlrpc.client

import pytest

ADMIN_KEY = "admin-api-key-0000000000000000"


@pytest.fixture
def execute(odoo):
    def run(model, method, args, kwargs=None, login=("demo", 2, "admin")):
        with xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object") as proxy:
            return proxy.execute_kw(*login, model, method, args, kwargs or {})

    return run


def _fault(call) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call()
    return caught.value


def test_attachment_values_sizes_and_hidden_field_attachments(execute) -> None:
    [new] = execute("ir.attachment", "create", [[{"name": "hello.txt", "datas": "aGVsbG8gd29ybGQ=",
                                                   "res_model": "res.partner", "res_id": 1}]])
    names = ["mimetype", "file_size", "checksum", "datas", "type"]
    row = execute("ir.attachment", "read", [[new], names])[0]
    assert row == {"id": new, "mimetype": "text/plain", "file_size": 11, "type": "binary",
                   "checksum": "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed", "datas": "aGVsbG8gd29ybGQ="}
    sized = execute("ir.attachment", "read", [[new, 1], ["datas"]], {"context": {"bin_size": True}})
    assert sized[0]["datas"] == "11.00 bytes" and sized[1]["datas"].endswith(" bytes")
    assert [r["id"] for r in execute("ir.attachment", "search_read", [[]], {"fields": ["id"]})] == [new]
    stored = execute("ir.attachment", "search", [[["res_field", "=", "invoice_pdf_report_file"]]])
    assert stored == [1]


def test_access_follows_the_record(execute, odoo) -> None:
    restricted = ("demo", 6, "restricted")
    fault = _fault(lambda: execute("ir.attachment", "create", [[{
        "name": "a", "datas": "YQ==", "res_model": "account.move", "res_id": 1}]], login=restricted))
    assert fault.faultCode == 4 and "not allowed to modify 'Journal Entry'" in fault.faultString
    odoo.set_access("demo", "restricted", "account.move", "")
    assert execute("ir.attachment", "search_read", [[["res_field", "!=", False]]], login=restricted) == []
    assert _fault(lambda: execute("ir.attachment", "read", [[1]], login=restricted)).faultCode == 4
    portal = _fault(lambda: execute("ir.attachment", "create", [[{
        "name": "a", "datas": "YQ==", "res_model": "res.partner", "res_id": 1}]],
        login=("demo", 8, "portal")))
    assert "Sorry, you are not allowed to access this document." in portal.faultString


def test_deleting_a_record_deletes_its_attachments_and_messages(execute) -> None:
    partner = execute("res.partner", "create", [{"name": "Temp"}])
    [file] = execute("ir.attachment", "create", [[{"name": "t", "datas": "YQ==",
                                                    "res_model": "res.partner", "res_id": partner}]])
    mine = [["model", "=", "res.partner"], ["res_id", "=", partner]]
    logged = execute("mail.message", "search_read", [mine], {"fields": ["body", "message_type"]})
    assert logged[0]["message_type"] == "notification" and "created" in logged[0]["body"]
    execute("res.partner", "unlink", [[partner]])
    assert execute("ir.attachment", "search", [[["id", "=", file]]]) == []
    assert execute("mail.message", "search", [mine]) == []


def test_message_post_faults(execute) -> None:
    two = _fault(lambda: execute("res.partner", "message_post", [[1, 2]], {"body": "x"}))
    assert two.faultCode == 1 and "Expected singleton: res.partner(1, 2)" in two.faultString
    positional = _fault(lambda: execute("res.partner", "message_post", [[1], "x"]))
    assert "takes 1 positional argument" in positional.faultString
    commands = _fault(lambda: execute("res.partner", "message_post", [[1]], {"attachment_ids": [[4, 1]]}))
    assert "should receive attachments records as a list of IDs" in commands.faultString
    fallback = execute("res.partner", "message_post", [[1]], {"body": "x", "subtype_xmlid": "no.such"})
    assert execute("mail.message", "read", [[fallback], ["subtype_id"]])[0]["subtype_id"][1] == "Note"


def test_web_session_needs_the_password(odoo) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=5)

    def login(password: str):
        body = json.dumps({"jsonrpc": "2.0", "method": "call",
                           "params": {"db": "demo", "login": "admin", "password": password}})
        connection.request("POST", "/web/session/authenticate", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response, json.loads(response.read())

    response, answer = login(ADMIN_KEY)
    assert response.status == 200 and response.getheader("Set-Cookie") is None
    assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    connection.request("GET", "/report/pdf/account.report_invoice/1")
    redirect = connection.getresponse()
    redirect.read()
    assert redirect.status == 303 and redirect.getheader("Location").startswith("/web/login?redirect=")
    response, answer = login("admin")
    cookie = response.getheader("Set-Cookie").split(";")[0]
    connection.request("GET", "/report/pdf/account.report_invoice/1", headers={"Cookie": cookie})
    pdf = connection.getresponse()
    assert pdf.status == 200 and pdf.getheader("Content-Type") == "application/pdf"
    assert pdf.read().startswith(b"%PDF-1.4")
    connection.close()


def test_attaching_to_a_missing_record_or_model_succeeds_and_orphans_the_file(execute) -> None:
    [orphan] = execute("ir.attachment", "create", [[{"name": "a.txt", "datas": "YQ==",
                                                     "res_model": "res.partner", "res_id": 987654321}]])
    denied = _fault(lambda: execute("ir.attachment", "read", [[orphan], ["name"]]))
    assert denied.faultCode == 4 and "top-secret records" in denied.faultString
    assert execute("ir.attachment", "search", [[["id", "=", orphan]]]) == []  # not even admin
    [typo] = execute("ir.attachment", "create", [[{"name": "b.txt", "datas": "Yg==",
                                                   "res_model": "res.partnr", "res_id": 1}]])
    assert execute("ir.attachment", "read", [[typo], ["res_model"]])[0]["res_model"] == "res.partnr"
    [empty] = execute("ir.attachment", "create", [[{"name": "e.txt", "datas": "",
                                                    "res_model": "res.partner", "res_id": 2}]])
    assert execute("ir.attachment", "read", [[empty], ["file_size", "checksum"]])[0] == {
        "id": empty, "file_size": 0, "checksum": False}


def test_odoo_19_refuses_to_attach_to_a_missing_record_or_model(execute, odoo) -> None:
    odoo.version = "19.0"
    before = len(odoo.records("demo", "ir.attachment"))
    for model, res_id in (("res.partner", 987654321), ("res.partnr", 1)):
        refused = _fault(lambda m=model, r=res_id: execute("ir.attachment", "create", [[{
            "name": "a.txt", "datas": "YQ==", "res_model": m, "res_id": r}]]))
        assert (refused.faultCode, refused.faultString) == (4, "Sorry, you are not allowed to access "
                                                                "this document.")
    assert len(odoo.records("demo", "ir.attachment")) == before


def test_an_invoice_action_holding_none_faults_over_xml_rpc_after_the_work(execute, odoo) -> None:
    context = {"active_model": "sale.order", "active_ids": [3], "active_id": 3}
    [wizard] = execute("sale.advance.payment.inv", "create", [[{}]], {"context": context})
    fault = _fault(lambda: execute("sale.advance.payment.inv", "create_invoices", [[wizard]],
                                   {"context": context}))
    assert "cannot marshal None unless allow_none is enabled" in fault.faultString
    assert execute("sale.order", "read", [[3], ["invoice_status"]])[0]["invoice_status"] == "invoiced"
    # an order with a payment term: the action holds no None
    context = {"active_model": "sale.order", "active_ids": [4], "active_id": 4}
    [wizard] = execute("sale.advance.payment.inv", "create", [[{}]], {"context": context})
    action = odoo.run("object", "execute_kw", ("demo", 2, "admin", "sale.advance.payment.inv",
                                               "create_invoices", [[wizard]], {"context": context}))
    assert action["context"]["default_invoice_payment_term_id"] == 4


@pytest.mark.parametrize(("version", "payment_state"), [("18.0", "not_paid"), ("19.0", "paid")])
def test_the_payment_wizard_pays_a_draft_invoice_and_leaves_it_draft(execute, odoo, version,
                                                                     payment_state) -> None:
    odoo.version = version
    context = {"active_model": "sale.order", "active_ids": [4], "active_id": 4}
    [wizard] = execute("sale.advance.payment.inv", "create", [[{}]], {"context": context})
    move = execute("sale.advance.payment.inv", "create_invoices", [[wizard]], {"context": context})["res_id"]
    context = {"active_model": "account.move", "active_ids": [move], "active_id": move}
    [wizard] = execute("account.payment.register", "create", [[{}]], {"context": context})
    action = execute("account.payment.register", "action_create_payments", [[wizard]], {"context": context})
    assert action["res_model"] == "account.payment" and action["res_id"]
    invoice = execute("account.move", "read", [[move], ["state", "payment_state"]])[0]
    assert (invoice["state"], invoice["payment_state"]) == ("draft", payment_state)


@pytest.mark.parametrize(("version", "answer"), [("18.0", int), ("19.0", list)])
def test_message_post_answers_an_id_on_18_and_a_list_on_19(execute, odoo, version, answer) -> None:
    odoo.version = version
    posted = execute("res.partner", "message_post", [[2]], {"body": "hi"})
    assert isinstance(posted, answer)


@pytest.mark.parametrize(("version", "missing"), [("18.0", 400), ("19.0", 500)])
def test_report_pages_for_an_unknown_report_or_a_missing_record(odoo, version, missing) -> None:
    odoo.version = version
    connection = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=5)
    body = json.dumps({"jsonrpc": "2.0", "method": "call",
                       "params": {"db": "demo", "login": "admin", "password": "admin"}})
    connection.request("POST", "/web/session/authenticate", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    for path, status in (("/report/pdf/sale.nope/1", 500),
                         ("/report/pdf/sale.report_saleorder/987654321", missing)):
        connection.request("GET", path, headers={"Cookie": cookie})
        page = connection.getresponse()
        assert (page.status, page.getheader("Content-Type")) == (status, "text/html")
        page.read()
    connection.close()
