"""The gateway's errors, as data.

Every failure a caller can see is one of these; one handler (``app.api.web``) renders them as
``{"error": message, "status": code, "request_id": id}``::

    GatewayError                 500 internal_error
    ├── InvalidRequest           400 invalid_request
    ├── ScopeInvalid             400 scope_invalid
    ├── AuthFailed               401 auth_failed
    ├── KeyExpired               401 key_expired
    ├── KeyRevoked               401 key_revoked
    ├── PermissionDenied         403 permission_denied
    ├── UrlNotAllowed            403 url_not_allowed
    ├── OdooAccessError          403 odoo_access_error
    ├── ToolNotFound             404 tool_not_found
    ├── NotFound                 404 not_found
    ├── MethodNotAllowed         405 method_not_allowed
    ├── Conflict                 409 conflict
    ├── PayloadTooLarge          413 payload_too_large
    ├── OdooError                422 odoo_error
    ├── RateLimited              429 rate_limited
    ├── ConnectionFailed         502 connection_failed
    │   └── ResponseTooLarge     502 connection_failed
    ├── OdooUnavailable          503 odoo_unavailable
    └── OdooTimeout              504 odoo_timeout
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """A bug in the gateway; the request id lets an operator find it in the log."""

    http_status = 500
    code = "internal_error"
    message = "Internal error in the gateway; report the request_id to the operator."

    def __init__(self, message: str | None = None, details: Any = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details
        self.retry_after = retry_after  # seconds, sent as Retry-After (429, 503)

    def payload(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body that answers this error."""
        body: dict[str, Any] = {"error": self.message, "status": self.code}
        if request_id:
            body["request_id"] = request_id
        if self.details is not None:
            body["details"] = self.details
        return body


class InvalidRequest(GatewayError):
    """The body is not a JSON object, or a field is missing, of the wrong type or unknown."""

    http_status, code = 400, "invalid_request"
    message = "The request is not valid."


class ScopeInvalid(GatewayError):
    """The scope string does not parse."""

    http_status, code = 400, "scope_invalid"
    message = "The scope is not valid."


class AuthFailed(GatewayError):
    """Missing, malformed or tampered key, or Odoo rejected the login."""

    http_status, code = 401, "auth_failed"
    message = "Authentication failed."


class KeyExpired(GatewayError):
    """The key is past its expiry."""

    http_status, code = 401, "key_expired"
    message = "This API key has expired: mint a new one with POST /auth/generate."


class KeyRevoked(GatewayError):
    """The key's id is on the revocation list."""

    http_status, code = 401, "key_revoked"
    message = "This API key has been revoked: mint a new one with POST /auth/generate."


class PermissionDenied(GatewayError):
    """The key's scope does not grant the tool's letter on that model."""

    http_status, code = 403, "permission_denied"
    message = "The API key's scope does not allow this."


class OdooAccessError(GatewayError):
    """Odoo's own access rights refused the operation (fault 4)."""

    http_status, code = 403, "odoo_access_error"
    message = "Odoo refused access."


class UrlNotAllowed(GatewayError):
    """The gateway's URL policy does not let it call that Odoo URL."""

    http_status, code = 403, "url_not_allowed"
    message = "This gateway does not call that Odoo URL."


class ToolNotFound(GatewayError):
    """Unknown tool name."""

    http_status, code = 404, "tool_not_found"
    message = "Unknown tool."


class NotFound(GatewayError):
    """Odoo says the record does not exist, or the route is unknown."""

    http_status, code = 404, "not_found"
    message = "Not found."


class MethodNotAllowed(GatewayError):
    """Wrong HTTP method for the route."""

    http_status, code = 405, "method_not_allowed"
    message = "This HTTP method is not allowed here."


class Conflict(GatewayError):
    """An upsert matched several records, or an Idempotency-Key was reused with another body."""

    http_status, code = 409, "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(GatewayError):
    """The body is above MAX_BODY_BYTES."""

    http_status, code = 413, "payload_too_large"
    message = "The request body is too large."


class OdooError(GatewayError):
    """Odoo refused the operation (user, validation or other fault)."""

    http_status, code = 422, "odoo_error"
    message = "Odoo refused the operation."


class ReportNeedsPassword(GatewayError):
    """Odoo refused a web session to these credentials (an API key, or a 2FA account)."""

    http_status, code = 422, "report_needs_password"
    message = (
        "Odoo renders PDF reports only for web sessions, and it refuses web sessions to API keys "
        "(and to accounts with two-factor authentication). Either mint a gateway key with the "
        "user's password (transport 'xmlrpc'), or let Odoo store the PDF first (for an invoice: "
        "Send & Print, then the gateway returns the stored PDF attachment)."
    )


class RateLimited(GatewayError):
    """Too many requests."""

    http_status, code = 429, "rate_limited"
    message = "Too many requests: slow down and retry after the Retry-After delay."

    def __init__(self, message: str | None = None, details: Any = None,
                 retry_after: int | None = 1) -> None:
        super().__init__(message, details, max(1, retry_after or 1))


class ConnectionFailed(GatewayError):
    """Odoo is unreachable or answered something that is not XML-RPC."""

    http_status, code = 502, "connection_failed"
    message = "Could not reach Odoo."


class ResponseTooLarge(ConnectionFailed):
    """Odoo's answer is larger than MAX_RESPONSE_BYTES (a fault of the request, not of Odoo)."""


class OdooUnavailable(GatewayError):
    """Odoo failed too often in a row: the circuit breaker answers at once until its cool-down ends."""

    http_status, code = 503, "odoo_unavailable"
    message = "Odoo is unavailable; try again later."


class OdooTimeout(GatewayError):
    """Odoo did not answer within ODOO_TIMEOUT_SECONDS."""

    http_status, code = 504, "odoo_timeout"
    message = "Odoo did not answer in time."
