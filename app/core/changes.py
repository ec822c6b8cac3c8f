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


def encode_cursor(model: str, second: str, seen: list[int]) -> str:
    raw = json.dumps({"m": model, "t": second, "seen": seen}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model: str, cursor: str) -> tuple[str, list[int]]:
    """(second, ids sent in that second) of a cursor for ``model``; InvalidRequest otherwise."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        second, seen = data["t"], data["seen"]
        datetime.strptime(second, ODOO_FORMAT)
        if data["m"] != model or not all(isinstance(i, int) for i in seen):
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(
            f"This cursor is not one the changes tool gave for {model!r}: pass the 'cursor' of "
            "the previous answer as it is, or start again with 'since'.") from None
    return second, seen


def _window(start: str | None, seen: list[int], horizon: str) -> list:
    """Domain terms: stamped before the horizon, from ``start`` on, without ids already sent."""
    terms: list = [["write_date", "<", horizon]]
    if start and seen:
        after = (datetime.strptime(start, ODOO_FORMAT) + timedelta(seconds=1)).strftime(ODOO_FORMAT)
        terms += ["|", ["write_date", ">=", after],
                  "&", ["write_date", ">=", start], ["id", "not in", seen]]
    elif start:
        terms.append(["write_date", ">=", start])
    return terms


def _changes(odoo: OdooCall, a: dict, default_lag: float) -> dict:
    model = a["model"]
    if a.get("cursor"):
        start, seen = decode_cursor(model, a["cursor"])
    else:
        start = parse_time(a["since"]).strftime(ODOO_FORMAT) if "since" in a else None
        seen = []
    lag = a.get("lag_seconds", default_lag)
    horizon = datetime.fromtimestamp(int(time.time() - lag), UTC).strftime(ODOO_FORMAT)
    records: list[dict] = []
    if start is None or start < horizon:
        kwargs: dict[str, Any] = {"order": _ORDER, "limit": a["limit"]}
        if "fields" in a:
            kwargs["fields"] = list(dict.fromkeys([*a["fields"], *_STAMPS]))
        records = odoo("search_read", [[*a["domain"], *_window(start, seen, horizon)]], kwargs)
    more = len(records) == a["limit"]
    if more:
        last = records[-1]["write_date"]
        sent = [r["id"] for r in records if r["write_date"] == last]
        start, seen = last, (seen + sent if last == start else sent)
    elif start is None or start < horizon:
        start, seen = horizon, []
    return {"records": records, "count": len(records), "cursor": encode_cursor(model, start, seen),
            "more": more, "horizon": horizon}


def change_tools(lag_seconds: float) -> tuple[Tool, ...]:
    """The change feed tool, with the operator's default lag."""
    return (Tool(
        "changes", "R", "Records created or changed since a cursor, oldest first, with the cursor "
        "for next time (no record missed or repeated; call again while 'more' is true).",
        ChangesArgs, partial(_changes, default_lag=lag_seconds)),)
