"""Odoo's web side for PDF reports: ``/web/session/authenticate`` and ``/report/pdf/<report>/<ids>``.

Over XML-RPC and JSON-2 Odoo has no report service, so a report is rendered through the web route
with a session cookie. Sessions are kept like the XML-RPC ones: by credentials digest, bounded in
size and age, never logged (the cookie never leaves this module). Odoo refuses web sessions to API
keys (AccessDenied): ``ReportNeedsPassword`` says so and what to do. Every connection goes through
the URL guard; answers are bounded in time (``REPORT_TIMEOUT_SECONDS``) and size (``FILE_MAX_BYTES``).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from cachetools import TTLCache

from app.base.errors import ConnectionFailed, OdooTimeout, PayloadTooLarge, ReportNeedsPassword
from app.odoo.breaker import CircuitBreaker
from app.odoo.credentials import Credentials
from app.odoo.urlpolicy import guarded_connection
from app.odoo.xmlrpc import TIMEOUT, UNREACHABLE


class WebSessions:
    """Logs in to Odoo's web side per credentials and fetches report PDFs with the session cookie."""

    def __init__(self, timeout: float, max_bytes: int, max_size: int, ttl_seconds: float,
                 guard: Callable[[socket.socket], None] | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.guard = guard
        self.breaker = breaker or CircuitBreaker(failures=5, cooldown=30.0)
        self._cookies: TTLCache = TTLCache(max_size, ttl_seconds)
        self._lock = threading.Lock()

    def report_pdf(self, credentials: Credentials, report: str, ids: list[int]) -> bytes:
        """The PDF bytes of ``report`` for ``ids``; logs in again once when the session expired."""
        path = f"/report/pdf/{quote(report, safe='')}/{','.join(str(i) for i in ids)}"
        for attempt in (1, 2):
            cookie = self._session(credentials, fresh=attempt == 2)
            status, headers, body = self._request(credentials.url, "GET", path, None, {"Cookie": cookie})
            if status in (301, 302, 303) and attempt == 1:
                continue  # Odoo dropped the session (restart, logout): log in again
            return _pdf(status, headers, body, report)
        raise ConnectionFailed("Odoo redirected the report request to its login page twice.")

    def _session(self, credentials: Credentials, fresh: bool) -> str:
        digest = credentials.digest()
        with self._lock:
            cookie = None if fresh else self._cookies.get(digest)
        if cookie is None:
            cookie = self._login(credentials)
            with self._lock:
                self._cookies[digest] = cookie
        return cookie

    def _login(self, c: Credentials) -> str:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": {
            "db": c.database, "login": c.username, "password": c.password}}).encode()
        status, headers, raw = self._request(c.url, "POST", "/web/session/authenticate", body,
                                             {"Content-Type": "application/json"})
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or status != 200:
            raise ConnectionFailed(f"Odoo at {c.url} did not answer /web/session/authenticate with JSON.")
        cookie = _session_cookie(headers)
        if answer.get("error") is not None or not answer.get("result") or cookie is None:
            raise ReportNeedsPassword()
        return cookie

    def _request(self, url: str, method: str, path: str, body: bytes | None,
                 headers: dict) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(url)
        self.breaker.before(url)
        connection = self._connection(parts.scheme, parts.netloc)
        try:
            connection.request(method, parts.path.rstrip("/") + path, body,
                               {**headers, "User-Agent": "odoo-gateway"})
            response = connection.getresponse()
            raw = response.read(self.max_bytes + 1)
        except TimeoutError:
            self.breaker.failed(url)
            raise OdooTimeout(TIMEOUT.format(url=url, timeout=self.timeout)) from None
        except (OSError, http.client.HTTPException) as error:
            self.breaker.failed(url)
            raise ConnectionFailed(UNREACHABLE.format(url=url)) from error
        finally:
            connection.close()
        self.breaker.succeeded(url)
        if len(raw) > self.max_bytes:
            raise PayloadTooLarge(f"The report is larger than {self.max_bytes} bytes (FILE_MAX_BYTES).")
        return response.status, response.getheaders(), raw

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        return guarded_connection(scheme, netloc, self.timeout, self.guard)


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session_id="):
            return value.split(";", 1)[0]
    return None


def _pdf(status: int, headers: list[tuple[str, str]], body: bytes, report: str) -> bytes:
    kind = next((v for k, v in headers if k.lower() == "content-type"), "")
    if status == 200 and kind.startswith("application/pdf") and body.startswith(b"%PDF-"):
        return body
    if b"Wkhtmltopdf" in body:
        raise ConnectionFailed("Odoo cannot print PDFs: wkhtmltopdf is not installed on the Odoo server.")
    raise ReportRefused(
        f"Odoo did not return a PDF for report {report!r} (HTTP {status}): check the report name "
        "(e.g. account.report_invoice, sale.report_saleorder) and that the records exist.",
        status=status,
    )


class ReportRefused(ConnectionFailed):
    """``/report/pdf`` answered an error page (HTTP ``status``) instead of a PDF: Odoo answers 500
    for an unknown report, and 400 (Odoo 18) or 500 (Odoo 19) for records that do not exist, so
    the caller (``app.core.automations.reports``) asks Odoo which it was."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
