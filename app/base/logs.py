"""Logging set-up and the redaction filter: the backstop that keeps secrets out of log lines."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}")
# The password part of a URL's user info (redis://:PASSWORD@host, http://user:PASSWORD@host).
URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")
MASK = "[REDACTED]"


class RedactingFilter(logging.Filter):
    """Masks anything shaped like a Fernet token, and the given secrets, in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def redact(self, text: str) -> str:
        text = FERNET_TOKEN.sub(MASK, text)
        text = URL_PASSWORD.sub(rf"\1{MASK}@", text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True  # the logger's filter ran already; the handler's need not redo it
        record._redacted = True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's ``fields``, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            # A request line's fields say it all; its text form would only repeat them.
            "message": getattr(record, "event", None) or record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(level: str, secrets: Iterable[str], fmt: str = "text") -> logging.Logger:
    """The gateway's logger, writing ``fmt`` lines (text or json) to stdout through the redaction filter."""
    logger = logging.getLogger("odoo_gateway")
    logger.setLevel(level)
    if not any(getattr(h, "_gateway", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler._gateway = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    for handler in logger.handlers:
        if getattr(handler, "_gateway", False):
            handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    redactor = RedactingFilter(secrets)
    # On the logger, so every handler (also ones added later) sees redacted records; on our
    # handler too, for records that propagate from child loggers.
    for target in (logger, *logger.handlers):
        target.filters = [f for f in target.filters if not isinstance(f, RedactingFilter)]
        target.addFilter(redactor)
    return logger
