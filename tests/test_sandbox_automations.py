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
