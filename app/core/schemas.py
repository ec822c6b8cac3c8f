"""Marshmallow schemas for the request envelopes; unknown fields are refused."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.base.errors import InvalidRequest
from app.core import fields as odoo_fields
from app.core.access.scopes import SCOPE_PATTERN

_NON_EMPTY = validate.Length(min=1, max=512)
MAX_EXPIRES_IN = 100 * 366 * 86400
# Odoo's DBNAME_PATTERN (sandbox/facts/database-names.md), bounded by PostgreSQL's 63-character
# identifiers. Matched whole (see WholeMatch): with re.match, '$' lets a trailing line break in.
DATABASE_NAME = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}$"


class WholeMatch(validate.Regexp):
    """A Regexp that the whole value must match (the OpenAPI document shows the same pattern)."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_H = "[0-9A-Fa-f]{1,4}"
_BYTE = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"(?:{_BYTE}\.){{3}}{_BYTE}"
_IPV6 = "|".join((
    rf"(?:{_H}:){{7}}{_H}", rf"(?:{_H}:){{1,7}}:", rf"(?:{_H}:){{1,6}}:{_H}",
    *(rf"(?:{_H}:){{1,{5 - n}}}(?::{_H}){{1,{n + 2}}}" for n in range(5)),
    rf"{_H}:(?::{_H}){{1,6}}", rf":(?:(?::{_H}){{1,7}}|:)", rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
    rf"(?:{_H}:){{1,4}}:{_IPV4}",
))
_HOST = rf"(?:[A-Za-z0-9](?:[A-Za-z0-9._~-]*[A-Za-z0-9])?|\[(?:{_IPV6})\])"
# The URLs the gateway takes, as the OpenAPI document states them: scheme, host, port, path.
URL_PATTERN = (rf"^[ \t\r\n]*https?://{_HOST}(?::{_PORT})?"
               r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?[ \t\r\n]*$")
_URL = re.compile(URL_PATTERN)


class OdooUrl(fields.String):
    """An http(s) URL with no query, fragment or user info; a trailing '/' is dropped."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata.setdefault("pattern", URL_PATTERN)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _URL.match(text) and not text.strip().startswith(("http://", "https://")):
            raise ValidationError("Use an http:// or https:// URL, like https://mycompany.odoo.com.")
        text = text.strip()
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            raise ValidationError("Not a valid URL.") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("Use an http:// or https:// URL, like https://mycompany.odoo.com.")
        if parts.query or parts.fragment or "?" in text or "#" in text:
            raise ValidationError("The URL must not have a query or fragment.")
        if parts.username is not None or parts.password is not None:
            # Credentials belong in username/password, never in the URL (it is shown back).
            raise ValidationError("The URL must not contain user info; use username and password.")
        del port
        if not _URL.match(text):
            raise ValidationError("Not a valid URL: use letters, digits, '.', '-' in the host name, like "
                                  "https://mycompany.odoo.com.")
        return text.rstrip("/")


class GenerateSchema(Schema):
    url = OdooUrl(required=True, validate=validate.Length(max=2048),
                  metadata={"example": "https://mycompany.odoo.com"})
    database = fields.String(required=True, validate=WholeMatch(
        DATABASE_NAME, error="Use the database's name as Odoo names them: a letter or digit, then "
        "letters, digits, '_', '.' or '-' (2 to 63 characters)."), metadata={"example": "mycompany"})
    username = fields.String(required=True, validate=_NON_EMPTY)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             load_only=True, metadata={"description": "Odoo password or API key"})
    scope = fields.String(load_default="*:R", validate=validate.Length(max=4096), metadata={
        "example": "res.partner:RWD,sale.order:RW,*:R", "pattern": SCOPE_PATTERN,
        "description": "MODEL:LETTERS entries (R, W, D, X or X(m1|m2)), each model and letter once"})
    expires_in = odoo_fields.WholeNumber(
        # Bounded so that the expiry stays a real date (a larger value used to answer 500).
        validate=validate.Range(min=1, max=MAX_EXPIRES_IN),
        metadata={"description": "Seconds until the key expires (at most 100 years)"},
    )
    context = fields.Dict(keys=fields.String(), metadata={"description": "Default Odoo context"})
    transport = fields.String(
        load_default="xmlrpc", validate=validate.OneOf(["xmlrpc", "jsonrpc", "json2", "auto"]),
        metadata={"description": "How the gateway talks to Odoo: xmlrpc (default), jsonrpc "
                                 "(Odoo's /jsonrpc, faster for big reads), json2 (Odoo 19+) or auto"},
    )


class ValidateSchema(Schema):
    api_key = fields.String(required=True, validate=validate.Length(min=1))


class RevokeSchema(Schema):
    OPENAPI = {"oneOf": [{"required": ["api_key"]}, {"required": ["key_id"]}],
               "description": "Either api_key (the key itself) or key_id, not both."}
    api_key = fields.String(validate=validate.Length(min=1))
    key_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))

    @validates_schema
    def one_of(self, data: dict, **kwargs: Any) -> None:
        if ("api_key" in data) == ("key_id" in data):
            raise ValidationError("Send either api_key (the key itself) or key_id, not both.")


class CallSchema(Schema):
    name = fields.String(required=True, validate=_NON_EMPTY, metadata={"example": "search_read"})
    arguments = fields.Dict(keys=fields.String(), load_default=dict)


_CALL = CallSchema()


def load_call(body: Any) -> dict:
    """/tools/call's envelope. The usual well-formed body is checked here directly (marshmallow
    takes ~0.1 ms for it); anything else goes through CallSchema, for the same answers."""
    if isinstance(body, dict) and body.keys() <= {"name", "arguments"}:
        name, arguments = body.get("name"), body.get("arguments", {})
        # JSON object keys are always strings: what fields.Dict(keys=String) checks holds.
        if isinstance(name, str) and 1 <= len(name) <= 512 and isinstance(arguments, dict):
            return {"name": name, "arguments": arguments}
    return load(_CALL, body, "/tools/call")


def load(schema: Schema, body: Any, what: str) -> dict:
    """``body`` loaded by ``schema``, or InvalidRequest naming each bad field."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"The body of {what} must be a JSON object.")
    try:
        return schema.load(body)
    except ValidationError as error:
        raise InvalidRequest(
            f"Invalid {what} request: {summarize(error.messages)}", details=error.messages
        ) from None


def summarize(messages: Any) -> str:
    """One line naming each invalid field and what is wrong with it."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            inner = summarize(value)
            parts.append(inner if key == "_schema" else f"{key}: {inner}")
        return "; ".join(parts)
    if isinstance(messages, list):
        return " ".join(summarize(m) for m in messages)
    return str(messages)
