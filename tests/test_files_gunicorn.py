"""Files and PDF reports through the real service under gunicorn, over real HTTP: bytes in, bytes out."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator

import pytest
import requests

from tests.test_gunicorn import start_gunicorn, stop_gunicorn, wait_healthy

LIMIT = 300_000  # FILE_MAX_BYTES of this gateway


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    process, base = start_gunicorn({"FILE_MAX_BYTES": str(LIMIT)})
    try:
        wait_healthy(process, base)
        yield base
    finally:
        process.kill()
        process.communicate()


def _key(base: str, odoo, scope: str, password: str = "admin") -> dict:  # noqa: S107 - the double's
    minted = requests.post(base + "/auth/generate", timeout=10, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": password, "scope": scope})
    assert minted.status_code == 200, minted.text
    return {"X-API-Key": minted.json()["api_key"]}


def test_a_file_goes_up_as_multipart_and_comes_back_byte_for_byte(service, odoo) -> None:
    key = _key(service, odoo, "res.partner:RW")
    raw = os.urandom(250_000) + b"\x00\r\n\xff"  # binary, not text: nothing may re-encode it
    up = requests.post(f"{service}/files/res.partner/7", headers=key, timeout=10,
                       files={"file": ("scan ü.bin", raw, "application/x-scan")})
    assert up.status_code == 200, up.text
    created = up.json()["result"]
    assert created["file_size"] == len(raw) and created["status"] == "created"
    assert created["checksum"] == hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    assert created["mimetype"] == "application/x-scan" and created["res_id"] == 7

    down = requests.get(f"{service}/files/res.partner/7/{created['id']}", headers=key, timeout=10)
    assert down.status_code == 200 and down.content == raw
    assert down.headers["Content-Type"] == "application/x-scan"
    assert down.headers["Content-Disposition"].startswith("attachment;")
    assert "scan%20%C3%BC.bin" in down.headers["Content-Disposition"]

    listed = requests.get(f"{service}/files/res.partner/7", headers=key, timeout=10).json()["result"]
    assert [(a["id"], a["file_size"]) for a in listed["attachments"]] == [(created["id"], len(raw))]
    assert "data" not in listed["attachments"][0] and len(str(listed)) < 2000  # sizes, not bytes
    listing = [c for c in odoo.calls if c.model == "ir.attachment" and c.model_method == "search_read"]
    assert listing[-1].kwargs["context"]["bin_size"] is True


def test_base64_json_upload_and_text_guessed_type(service, odoo) -> None:
    key = _key(service, odoo, "res.partner:RW")
    up = requests.post(f"{service}/files/res.partner/1", headers=key, timeout=10,
                       json={"filename": "hello.txt", "data": "aGVsbG8gd29ybGQ="})
    created = up.json()["result"]
    assert created["mimetype"] == "text/plain" and created["file_size"] == 11
    down = requests.get(f"{service}/files/res.partner/1/{created['id']}", headers=key, timeout=10)
    assert down.content == b"hello world" and down.headers["Content-Type"].startswith("text/plain")


def test_above_file_max_bytes_is_413_before_odoo(service, odoo) -> None:
    key = _key(service, odoo, "res.partner:RW")
    odoo.clear_calls()
    big = requests.post(f"{service}/files/res.partner/1", headers=key, timeout=10,
                        files={"file": ("big.bin", b"x" * (LIMIT * 2), "application/octet-stream")})
    assert big.status_code == 413 and big.json()["status"] == "payload_too_large"
    just_above = base64.b64encode(b"y" * (LIMIT + 1)).decode()
    refused = requests.post(f"{service}/tools/call", headers=key, timeout=10, json={
        "name": "attach_file", "arguments": {"model": "res.partner", "id": 1, "filename": "a",
                                             "data": just_above}})
    assert refused.status_code == 413 and "FILE_MAX_BYTES" in refused.json()["error"]
    assert odoo.count(model="ir.attachment") == 0


def test_scope_refusals_never_reach_odoo(service, odoo) -> None:
    reader = _key(service, odoo, "res.partner:R")
    others = _key(service, odoo, "sale.order:RW")
    odoo.clear_calls()
    attach = requests.post(f"{service}/files/res.partner/1", headers=reader, timeout=10,
                           files={"file": ("a.txt", b"a", "text/plain")})
    assert attach.status_code == 403 and "res.partner:W" in attach.json()["error"]
    for path in ("/files/res.partner/1", "/files/res.partner/1/1", "/reports/res.partner/base.x/1"):
        refused = requests.get(service + path, headers=others, timeout=10)
        assert refused.status_code == 403, path
    pdf = requests.get(f"{service}/reports/account.move/account.report_invoice/1", headers=reader,
                       timeout=10)
    assert pdf.status_code == 403
    assert odoo.calls == []


def test_an_attachment_of_another_record_is_not_found(service, odoo) -> None:
    key = _key(service, odoo, "res.partner:R,account.move:R")
    wrong = requests.get(f"{service}/files/res.partner/2/1", headers=key, timeout=10)  # account.move's PDF
    assert wrong.status_code == 404 and wrong.json()["status"] == "not_found"


def test_pdf_reports_stored_first_else_rendered(service, odoo) -> None:
    key = _key(service, odoo, "account.move:R,sale.order:R")
    stored = requests.get(f"{service}/reports/account.move/account.report_invoice/1", headers=key,
                          timeout=10)
    assert stored.status_code == 200 and stored.content.startswith(b"%PDF-")
    assert stored.headers["Content-Type"] == "application/pdf"
    assert stored.headers["X-Report-Source"] == "attachment"
    assert odoo.count(service="web") == 0  # the stored PDF needs no web session

    rendered = requests.get(f"{service}/reports/sale.order/sale.report_saleorder/1,2", headers=key,
                            timeout=10)
    assert rendered.status_code == 200 and rendered.content.startswith(b"%PDF-")
    assert rendered.headers["X-Report-Source"] == "rendered"
    assert b"S00001 / S00002" in rendered.content
    fresh = requests.get(f"{service}/reports/account.move/account.report_invoice/1?stored=false",
                         headers=key, timeout=10)
    assert fresh.headers["X-Report-Source"] == "rendered" and fresh.content.startswith(b"%PDF-")


def test_an_odoo_api_key_cannot_render_reports(service, odoo) -> None:
    key = _key(service, odoo, "sale.order:R", password="admin-api-key-0000000000000000")
    answer = requests.get(f"{service}/reports/sale.order/sale.report_saleorder/1", headers=key,
                          timeout=10)
    assert answer.status_code == 422 and answer.json()["status"] == "report_needs_password"
    assert "password" in answer.json()["error"] and "admin-api-key" not in answer.text
    stored = requests.get(f"{service}/reports/account.move/account.report_invoice/1", headers=key,
                          timeout=10)
    assert stored.status_code == 403  # the key's scope has no account.move; nothing else leaks


def test_secrets_stay_out_of_the_logs(odoo) -> None:
    process, base = start_gunicorn({})
    try:
        wait_healthy(process, base)
        key = _key(base, odoo, "sale.order:R")
        assert requests.get(f"{base}/reports/sale.order/sale.report_saleorder/1", headers=key,
                            timeout=10).status_code == 200
    finally:
        output = stop_gunicorn(process)
    sessions = list(odoo.web_sessions)
    assert sessions and not any(sid in output for sid in sessions)
    assert "session_id=" not in output and '"admin"' not in output



def test_an_upload_retried_with_an_idempotency_key_attaches_once(service, odoo) -> None:
    key = {**_key(service, odoo, "res.partner:RW"), "Idempotency-Key": "scan-2026-12-01"}
    answers = [requests.post(f"{service}/files/res.partner/5", headers=key, timeout=10,
                             files={"file": ("once.txt", b"once", "text/plain")}) for _ in range(2)]
    assert answers[0].json() == answers[1].json() and answers[1].headers["Idempotent-Replayed"] == "true"
    assert odoo.count(model="ir.attachment", model_method="create") == 1


def test_a_file_name_with_a_line_break_downloads_through_gunicorn(service, odoo) -> None:
    key = _key(service, odoo, "res.partner:RW")
    up = requests.post(f"{service}/files/res.partner/7", headers=key, timeout=10, json={
        "filename": "line\r\nX-Injected: yes.txt", "data": "aGk="})
    assert up.status_code == 200, up.text
    down = requests.get(f"{service}/files/res.partner/7/{up.json()['result']['id']}", headers=key,
                        timeout=10)
    assert down.status_code == 200 and down.content == b"hi"
    assert "X-Injected" not in down.headers
    assert down.headers["Content-Disposition"] == (
        "attachment; filename=\"lineX-Injected: yes.txt\"; filename*=UTF-8''lineX-Injected%3A%20yes.txt")
