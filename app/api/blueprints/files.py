"""Files and reports as raw bytes: upload (multipart/form-data or base64 JSON), list, download, PDF.

Each route runs the same tool as ``POST /tools/call`` (same key, scope, limits, errors, metrics);
only the body and the answer differ: n8n sends its binary data as multipart and receives the file
itself with its Content-Type and Content-Disposition, not base64 text.
"""

from __future__ import annotations

import base64
import io
import json
import unicodedata
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.idempotency import once
from app.api.openapi import documented
from app.api.security import limit_key
from app.api.web import api_key_from_headers, json_body, note
from app.base.errors import InvalidRequest, PayloadTooLarge
from app.core.automations.files import BASE64

bp = Blueprint("files", __name__)
_ERRORS = (400, 401, 403, 404, 413, 422, 502, 503, 504)
_UPLOAD = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "The file (n8n: binary property)"},
        # Form fields are text whatever they hold: no type to state.
        "filename": {"description": "File name (default: the uploaded file's name)"},
        "mimetype": {"description": "Content type (default: the part's)"}}}},
    "application/json": {"schema": {"type": "object", "required": ["filename", "data"], "properties": {
        "filename": {"type": "string", "minLength": 1, "maxLength": 1024},
        "data": {"type": "string", "contentEncoding": "base64", "pattern": BASE64},
        "mimetype": {"type": "string", "maxLength": 255}}}}}
_BINARY = {"type": "string", "format": "binary"}


def _run(tool: str, arguments: dict) -> dict:
    """Run one tool for this request's key, as /tools/call does."""
    gateway = current_app.extensions["gateway"]
    claims = gateway.open_key(api_key_from_headers())
    note(key_id=claims.key_id, odoo_host=urlsplit(claims.credentials.url).netloc)
    limit_key(claims.key_id)
    note(tool=tool, model=arguments.get("model"))
    return gateway.call(claims, tool, arguments)


def _answer(result: str) -> dict:
    """``{"result": ...}`` around a tool's result component, as /tools/call answers."""
    return {"type": "object", "required": ["result"],
            "properties": {"result": {"$ref": f"#/components/schemas/{result}"}}}


@bp.post("/files/<model>/<int:record_id>")
@documented("Attach a file to a record (multipart/form-data or base64 JSON); needs W on the model",
            body=_UPLOAD, ok=_answer("AttachFileResult"), errors=_ERRORS, secured=True, tag="files",
            idempotent=True,
            examples={"text": {"summary": "A small text file (base64)", "value": {
                "filename": "hello.txt", "data": "aGVsbG8=", "mimetype": "text/plain"}}})
def upload(model: str, record_id: int) -> Response | dict:
    gateway = current_app.extensions["gateway"]
    key_id = gateway.open_key(api_key_from_headers()).key_id  # the key before the body, as everywhere
    limit = gateway.settings.file_max_bytes
    request.max_content_length = limit * 4 // 3 + 65_536  # base64 and multipart framing
    too_large = PayloadTooLarge(f"The file is larger than FILE_MAX_BYTES ({limit} bytes).")

    try:
        fields = _multipart() if request.mimetype == "multipart/form-data" else json_body()
    except RequestEntityTooLarge:
        raise too_large from None
    given = fields if isinstance(fields, dict) else {}
    arguments = {"model": model, "id": record_id, **{
        k: v for k, v in given.items() if k in ("filename", "data", "mimetype", "context")}}
    # An Idempotency-Key retry of the same upload answers the first answer again; the parsed
    # fields stand for the body, since multipart boundaries differ between retries.
    return once(key_id, lambda: {"result": _run("attach_file", arguments)},
                json.dumps(arguments, sort_keys=True).encode())


def _multipart() -> dict:
    part = request.files.get("file") or next(iter(request.files.values()), None)
    if part is None:
        raise InvalidRequest("Send the file in a multipart/form-data part named 'file'.")
    fields = {"filename": request.form.get("filename") or part.filename or "file",
              "data": base64.b64encode(part.read()).decode()}
    mimetype = request.form.get("mimetype") or (part.mimetype if part.mimetype not in (
        "", "application/octet-stream") else None)
    return {**fields, **({"mimetype": mimetype} if mimetype else {})}


@bp.get("/files/<model>/<int:record_id>")
@documented("List a record's attachments (sizes, never contents); needs R on the model",
            ok=_answer("ListAttachmentsResult"), errors=_ERRORS, secured=True, tag="files")
def list_files(model: str, record_id: int) -> dict:
    arguments = {"model": model, "id": record_id, "limit": request.args.get("limit", 100),
                 "offset": request.args.get("offset", 0)}
    return {"result": _run("list_attachments", arguments)}


@bp.get("/files/<model>/<int:record_id>/<int:attachment_id>")
@documented("Download an attachment as raw bytes with its Content-Type and Content-Disposition",
            ok=_BINARY, content_type="*/*", errors=_ERRORS, secured=True,
            tag="files")
def download(model: str, record_id: int, attachment_id: int) -> Response:
    found = _run("download_file", {"model": model, "id": record_id, "attachment_id": attachment_id})
    raw = base64.b64decode(found["data"])
    response = send_file(io.BytesIO(raw), mimetype=found.get("mimetype") or "application/octet-stream")
    response.headers["Content-Disposition"] = disposition(found.get("name"), f"file-{attachment_id}")
    return response


@bp.get("/reports/<model>/<report>/<ids>")
@documented("A report's PDF for record ids (comma-separated), as application/pdf; needs R",
            ok=_BINARY, content_type="application/pdf", errors=_ERRORS, secured=True, tag="files")
def report(model: str, report: str, ids: str) -> Response:
    try:
        record_ids = [int(i) for i in ids.split(",")]
    except ValueError:
        raise InvalidRequest("Record ids must be numbers separated by commas, e.g. 7 or 7,8.") from None
    found = _run("get_report", {"model": model, "report": report, "ids": record_ids,
                                "stored": request.args.get("stored", "true").lower() != "false"})
    response = send_file(io.BytesIO(base64.b64decode(found["data"])), mimetype="application/pdf")
    response.headers["Content-Disposition"] = disposition(found["name"], "report.pdf", "inline")
    response.headers["X-Report-Source"] = found["source"]
    return response


def disposition(name: str | None, fallback: str, kind: str = "attachment") -> str:
    """``Content-Disposition`` for any name Odoo holds (RFC 6266): control characters and line
    breaks dropped, an ASCII ``filename`` for old clients and the exact name in ``filename*``."""
    clean = "".join(c for c in name or "" if unicodedata.category(c) not in ("Cc", "Zl", "Zp")).strip()
    clean = clean or fallback
    ascii_name = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_").strip() or fallback
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"
