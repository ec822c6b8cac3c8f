"""Transaction time, as Odoo 18 stamps ``create_date`` and ``write_date``.

PostgreSQL's ``now()`` is the start of the transaction: every record a call creates or writes gets
that one instant, kept to the microsecond, while ``read`` shows whole seconds. A call that commits
late (``OdooDouble.commit_delay``) therefore stamps a time older than calls that committed before it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_local = threading.local()


def instant() -> str:
    """The current UTC time with microseconds, as PostgreSQL keeps a timestamp."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def stamp() -> str:
    """The running transaction's time, or the current time outside one."""
    return getattr(_local, "stamp", None) or instant()


@contextmanager
def transaction(started: str | None = None) -> Iterator[str]:
    """Run a block as one transaction started at ``started`` (default: now)."""
    outer = getattr(_local, "stamp", None)
    _local.stamp = outer or started or instant()
    try:
        yield _local.stamp
    finally:
        _local.stamp = outer


def shown(value: object) -> object:
    """A stored datetime as ``read`` shows it: whole seconds."""
    return value[:19] if isinstance(value, str) and len(value) > 19 else value


def domain_value(value: object, operator: str) -> object:
    """A datetime given in a domain, normalised as Odoo does ("T" separator, date-only values)."""
    if not isinstance(value, str):
        return value
    text = value.replace("T", " ", 1).rstrip("Z")
    if len(text) == 10:  # a date alone: the whole day, like Odoo's expression does
        text += " 23:59:59" if operator in (">", "<=") else " 00:00:00"
    return text
