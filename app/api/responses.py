"""Marshmallow schemas of the answers, for the OpenAPI document (views build plain dicts).

Each tool's result schema is listed in ``TOOL_RESULTS`` under the tool's name; a tool added to
the registry without one is caught by the OpenAPI tests.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.base import errors

ERROR_CODES = sorted({
    cls.code for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.GatewayError)
} | {"not_ready"})


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "A sentence for a person: what to do"})
    status = fields.String(required=True, validate=validate.OneOf(ERROR_CODES),
                           metadata={"description": "A stable code for programs"})
    request_id = fields.String(metadata={"description": "Also in the X-Request-ID header and the log"})
    details = fields.Raw(metadata={"description": "E.g. the invalid fields and what is wrong with each"})


class _Model(Schema):
    model = fields.String(required=True, metadata={"example": "res.partner"})


class _Counted(_Model):
    count = fields.Integer(required=True)


class SearchResult(_Counted):
    ids = fields.List(fields.Integer(), required=True)


class RecordsResult(_Counted):
    records = fields.List(fields.Dict(), required=True, metadata={"description": "One object per record"})


class CountResult(_Counted):
    pass


class FieldsResult(_Counted):
    fields_ = fields.Dict(data_key="fields", required=True,
                          metadata={"description": "Field name to its attributes"})


class DefaultsResult(_Model):
    defaults = fields.Dict(required=True, metadata={"description": "Field name to its default value"})


class CreateResult(_Model):
    id_ = fields.Integer(data_key="id", metadata={"description": "When values was one object"})
    ids = fields.List(fields.Integer(), metadata={"description": "When values was a list"})
    count = fields.Integer(metadata={"description": "When values was a list"})
    status = fields.String(required=True, validate=validate.OneOf(["created"]))


class WriteResult(_Counted):
    success = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["updated"]))


class UnlinkResult(_Counted):
    success = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["deleted"]))


class NameMatchSchema(Schema):
    id_ = fields.Integer(data_key="id", required=True)
    name = fields.String(required=True)


class NameSearchResult(_Counted):
    results = fields.List(fields.Nested(NameMatchSchema), required=True)


class ReadGroupResult(_Counted):
    groups = fields.List(fields.Dict(), required=True, metadata={
        "description": "One object per group: the groupby values, aggregates and __count or *_count"})


class MethodResult(_Model):
    method = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "What the method returned"})


class ChangesResult(RecordsResult):
    cursor = fields.String(required=True, metadata={"description": "Pass it as 'cursor' next time"})
    more = fields.Boolean(required=True, metadata={"description": "true: call again at once for the rest"})
    horizon = fields.String(required=True, metadata={
        "description": "UTC second before which every change is answered (now minus the lag)",
        "example": "2026-12-01 00:08:18"})


class UpsertResult(_Model):
    id_ = fields.Integer(data_key="id", required=True)
    status = fields.String(required=True, validate=validate.OneOf(["created", "updated"]))


TOOL_RESULTS: dict[str, type[Schema]] = {
    "search": SearchResult, "read": RecordsResult, "search_read": RecordsResult,
    "search_count": CountResult, "fields_get": FieldsResult, "default_get": DefaultsResult,
    "create": CreateResult, "write": WriteResult, "unlink": UnlinkResult,
    "name_search": NameSearchResult, "read_group": ReadGroupResult, "call": MethodResult,
    "changes": ChangesResult, "upsert": UpsertResult,
}


class IndexSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["running"]))
    docs = fields.String(required=True, metadata={"description": "The Swagger UI page", "example": "/docs/"})
    openapi = fields.String(required=True, metadata={"description": "This API's OpenAPI document",
                                                     "example": "/openapi.json"})


class PoolSchema(Schema):
    size = fields.Integer(required=True)
    max_size = fields.Integer(required=True)
    ttl_seconds = fields.Float(required=True)
    hits = fields.Integer(required=True)
    misses = fields.Integer(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["healthy"]))
    version = fields.String(required=True)
    pool = fields.Nested(PoolSchema, required=True)


class CheckSchema(Schema):
    ok = fields.Boolean(required=True)
    detail = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ready"]))
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(CheckSchema), required=True)


class PublicCredentialsSchema(Schema):
    url = fields.String(required=True)
    database = fields.String(required=True)
    username = fields.String(required=True)
    scope = fields.String(required=True)


def _field_rules() -> fields.List:
    return fields.List(fields.Dict(), metadata={
        "description": "The scope's field rules, one object per entry that has some (docs/scopes.md)",
        "example": [{"model": "res.partner", "read": {"allow": ["email", "name"]}}]})


class GeneratedSchema(Schema):
    api_key = fields.String(required=True, metadata={"description": "Send it as X-API-Key; keep it secret"})
    key_id = fields.String(required=True)
    expires = fields.DateTime(required=True, allow_none=True)
    user = fields.String(required=True)
    uid = fields.Integer(required=True)
    scope = fields.String(required=True, metadata={"example": "res.partner:RWD,*:R"})
    credentials = fields.Nested(PublicCredentialsSchema, required=True)
    field_rules = _field_rules()


class ValidatedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["valid"]))
    key_id = fields.String(required=True)
    expires = fields.DateTime(required=True, allow_none=True)
    credentials = fields.Nested(PublicCredentialsSchema, required=True)
    field_rules = _field_rules()


class RevokedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["revoked"]))
    key_id = fields.String(required=True)


class BatchItemSchema(Schema):
    index = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    result = fields.Dict(metadata={"description": "When ok: the tool's result, as /tools/call's"})
    error = fields.String(metadata={"description": "When not ok: as in the error shape"})
    status = fields.String(validate=validate.OneOf(ERROR_CODES))
    http_status = fields.Integer(metadata={"description": "What /tools/call would have answered"})
    details = fields.Raw()


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(BatchItemSchema), required=True)
    count = fields.Integer(required=True)
    succeeded = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    stopped = fields.Boolean(required=True, metadata={"description": "Calls were skipped (stop_on_error)"})


class ToolEntrySchema(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    permission = fields.String(required=True, metadata={"description": "Scope letter the tool needs, e.g. R"})
    inputSchema = fields.Dict(required=True, metadata={"description": "JSON Schema of the arguments"})


class ToolListSchema(Schema):
    tools = fields.List(fields.Nested(ToolEntrySchema), required=True)
