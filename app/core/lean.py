"""Lean answers for assistants: records cut to a byte bound, with where to continue from."""

from __future__ import annotations

import json


def bound(answer: dict, args: dict, max_bytes: int) -> dict:
    """``answer`` with its records cut so their JSON fits ``max_bytes`` (at least one is kept).

    A cut answer says ``truncated: true`` and ``next_offset`` (search_read: call again with that
    offset) or ``remaining_ids`` (read: the ids left to read).
    """
    records = answer.get("records")
    if not isinstance(records, list):
        return answer
    kept, size = 0, 2
    for record in records:
        size += len(json.dumps(record, ensure_ascii=False, default=str).encode()) + 1
        if kept and size > max_bytes:
            break
        kept += 1
    if kept == len(records):
        return answer
    shown = {**answer, "records": records[:kept], "count": kept, "truncated": True,
             "max_bytes": max_bytes}
    if "offset" in args:
        shown["next_offset"] = args["offset"] + kept
    else:
        shown["remaining_ids"] = [record.get("id") for record in records[kept:]]
    return shown
