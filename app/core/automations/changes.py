"""The change feed: records of a model created or changed since a cursor, none missed, none repeated.

Odoo stamps ``write_date`` with the start of the writing transaction, keeps microseconds but
``read`` shows whole seconds, and a slow transaction commits after quicker ones that started later.
So the feed answers only records stamped before a *horizon*, ``now - lag`` rounded down to the
second: once a second is older than the longest transaction (the lag), no record can still appear in
it. Inside that window, records come in ``write_date asc, id asc`` order and the cursor remembers
``(second, ids already sent in that second)``: the next call starts again at the start of that second
(the overlap, because a domain cannot name microseconds) and leaves out the ids it already sent (the
de-duplication). A page that ends before ``limit`` moves the cursor to the horizon itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from marshmallow import ValidationError, validate, validates
from marshmallow import fields as ma

from app.base.errors import InvalidRequest
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.tools import OdooCall, Tool, ToolArgs, _limit

ODOO_FORMAT = "%Y-%m-%d %H:%M:%S"
_ORDER = "write_date asc, id asc"
_STAMPS = ("write_date", "create_date")


class ChangesArgs(ToolArgs):
    cursor = ma.String(validate=validate.Length(max=200_000), metadata={
        "description": "The cursor of the previous answer (omitted or empty: start from 'since')"})
    since = ma.String(metadata={
        "description": "First call only: changes from this UTC time, e.g. 2026-12-01T00:00:00Z "
                       "(omitted: every record)", "example": "2026-12-01T00:00:00Z"})
    domain = odoo_fields.Domain(load_default=list)
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields",
        metadata={"description": "Field names (omitted: all); write_date and create_date always come"})
    limit = _limit()
    lag_seconds = ma.Float(validate=validate.Range(min=0, max=3600), metadata={
        "description": "Seconds a change waits before it is answered (default CHANGES_LAG_SECONDS): "
                       "longer than Odoo's longest transaction"})

    @validates("since")
    def _since(self, value: str, **_: Any) -> None:
        parse_time(value)


def parse_time(text: str) -> datetime:
    """A UTC time from ISO text or Odoo's format; ValidationError otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("Use an ISO time such as 2026-12-01T00:00:00Z.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def encode_cursor(model: str, second: str, after: int) -> str:
    raw = json.dumps({"m": model, "t": second, "after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model: str, cursor: str) -> tuple[str, int]:
    """(second, last id answered in that second or 0) of a cursor for ``model``; InvalidRequest otherwise."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        second, after = data["t"], data["after"]
        datetime.strptime(second, ODOO_FORMAT)
        if data["m"] != model or not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(
            f"This cursor is not one the changes tool gave for {model!r}: pass the 'cursor' of "
            "the previous answer as it is, or start again with 'since'.") from None
    return second, after


def _next_second(second: str) -> str:
    return (datetime.strptime(second, ODOO_FORMAT) + timedelta(seconds=1)).strftime(ODOO_FORMAT)


class _Feed:
    """One call's queries: ``rest`` over whole seconds, ``within`` one second by id."""

    def __init__(self, odoo: OdooCall, a: dict, horizon: str) -> None:
        self.odoo, self.domain, self.horizon = odoo, a["domain"], horizon
        self.fields = {"fields": list(dict.fromkeys([*a["fields"], *_STAMPS]))} if "fields" in a else {}

    def within(self, second: str, after: int, limit: int) -> list[dict]:
        """Records stamped in ``second`` with an id above ``after``, by id."""
        terms = [["write_date", ">=", second], ["write_date", "<", _next_second(second)], ["id", ">", after]]
        return self.odoo("search_read", [[*self.domain, *terms]],
                         {**self.fields, "order": "id asc", "limit": limit})

    def rest(self, start: str | None, limit: int) -> list[dict]:
        """Records stamped from ``start`` (a whole second) to the horizon, oldest first."""
        terms: list = [["write_date", "<", self.horizon]]
        if start:
            terms.append(["write_date", ">=", start])
        return self.odoo("search_read", [[*self.domain, *terms]],
                         {**self.fields, "order": _ORDER, "limit": limit})


def _page(feed: _Feed, start: str | None, after: int, limit: int) -> tuple[list[dict], str, int, bool]:
    """(records, cursor second, cursor id, more) from a cursor, at most ``limit`` records."""
    records: list[dict] = []
    if start and after:  # the rest of a second cut by the previous page
        records = feed.within(start, after, limit)
        if len(records) == limit:
            return records, start, records[-1]["id"], True
        start = _next_second(start)
    room = limit - len(records)
    found = feed.rest(start, room)
    if len(found) < room:
        return records + found, feed.horizon, 0, False
    # The page ends inside a second: keep that second's records by id (its microsecond order
    # cannot be named in a domain), so that the cursor is that second and the last id answered.
    cut = found[-1]["write_date"]
    whole = sorted((r for r in found if r["write_date"] != cut), key=lambda r: (r["write_date"], r["id"]))
    tail = feed.within(cut, 0, room - len(whole))
    return records + whole + tail, cut, tail[-1]["id"], True


def _changes(odoo: OdooCall, a: dict, default_lag: float) -> dict:
    model = a["model"]
    if a.get("cursor"):
        start, after = decode_cursor(model, a["cursor"])
    else:
        start = parse_time(a["since"]).strftime(ODOO_FORMAT) if "since" in a else None
        after = 0
    lag = a.get("lag_seconds", default_lag)
    horizon = datetime.fromtimestamp(int(time.time() - lag), UTC).strftime(ODOO_FORMAT)
    records, more = [], False
    if start is None or start < horizon:
        records, start, after, more = _page(_Feed(odoo, a, horizon), start, after, a["limit"])
    cursor = encode_cursor(model, start or horizon, after)
    return {"records": records, "count": len(records), "cursor": cursor, "more": more, "horizon": horizon}


def change_tools(lag_seconds: float) -> tuple[Tool, ...]:
    """The change feed tool, with the operator's default lag."""
    return (Tool(
        "changes", "R", "Records created or changed since a cursor, oldest first, with the cursor "
        "for next time (no record missed or repeated; call again while 'more' is true).",
        ChangesArgs, partial(_changes, default_lag=lag_seconds),
        # The feed filters and sorts on write_date itself; create_date is only read (and filtered out).
        fields=FieldArgs(names=("fields",), domains=("domain",), answer=("records",), uses=("write_date",)),
        example={"model": "sale.order", "fields": ["name", "state"], "limit": 50},
    ),)
