"""Answer schemas of the file, report, chatter and wizard tools, added to ``TOOL_RESULTS``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.responses import TOOL_RESULTS, _Counted, _Model


class AttachmentSchema(Schema):
    id_ = fields.Integer(data_key="id", required=True)
    name = fields.String(required=True)
    mimetype = fields.String(allow_none=True)
    file_size = fields.Integer(metadata={"description": "Bytes"})
    checksum = fields.String(allow_none=True, metadata={"description": "SHA-1 of the bytes"})
    create_date = fields.String()
    res_model = fields.String()
    res_id = fields.Integer()


class AttachFileResult(AttachmentSchema):
    model = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["created"]))


class ListAttachmentsResult(_Counted):
    id_ = fields.Integer(data_key="id", required=True, metadata={"description": "The record's id"})
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class DownloadFileResult(AttachmentSchema):
    model = fields.String(required=True)
    data = fields.String(required=True, metadata={"description": "The bytes, base64",
                                                  "contentEncoding": "base64"})


class ReportResult(_Model):
    report = fields.String(required=True)
    ids = fields.List(fields.Integer(), required=True)
    name = fields.String(required=True, metadata={"description": "A file name for the PDF"})
    mimetype = fields.String(required=True, validate=validate.OneOf(["application/pdf"]))
    file_size = fields.Integer(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["attachment", "rendered"]), metadata={
        "description": "attachment: the PDF Odoo stored; rendered: printed now by /report/pdf"})
    attachment_id = fields.Integer(allow_none=True)
    data = fields.String(required=True, metadata={"description": "The PDF, base64",
                                                  "contentEncoding": "base64"})


class PostMessageResult(_Model):
    message_id = fields.Integer(required=True, metadata={"description": "The new mail.message id"})
    id_ = fields.Integer(data_key="id", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["note", "comment"]))
    status = fields.String(required=True, validate=validate.OneOf(["posted"]))


class ReadMessagesResult(_Counted):
    id_ = fields.Integer(data_key="id", required=True)
    messages = fields.List(fields.Dict(), required=True, metadata={"description": "Newest first"})


class WizardResult(_Model):
    wizard_id = fields.Integer(required=True)
    method = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "What the action returned"})
    action = fields.Dict(allow_none=True, metadata={"description": "The next action (act_window...), if any"})
    next_ = fields.Dict(data_key="next", allow_none=True, metadata={
        "description": "{model, id} of the record the action opens, e.g. the new invoice"})


TOOL_RESULTS.update({
    "attach_file": AttachFileResult, "list_attachments": ListAttachmentsResult,
    "download_file": DownloadFileResult, "get_report": ReportResult, "post_message": PostMessageResult,
    "read_messages": ReadMessagesResult, "run_wizard": WizardResult,
})
