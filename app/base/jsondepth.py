"""JSON parsing with a bound on nesting, checked before the (recursive) parser ever runs.

Python's ``json`` parser, marshmallow, ``xmlrpc.client`` and the JSON encoder all recurse once
per level: a body nested a few thousand levels deep raised RecursionError (a 500) somewhere.
``loads`` first scans the raw bytes without recursion: strings are cut out (a ``[`` inside a
string is text), then the brackets left are counted. The scan runs at C speed (a regular
expression and ``bytes.translate``) plus one step per bracket, bounded by MAX_BODY_BYTES.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from app.base.errors import InvalidRequest

MOST = 100  # the highest MAX_JSON_DEPTH allowed, far below Python's recursion limit
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_CHUNK = 4096
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class TooDeep(ValueError):
    """The JSON text nests arrays and objects deeper than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit

    def refusal(self) -> InvalidRequest:
        """The 400 that answers it, naming the setting."""
        return InvalidRequest(f"The request body nests arrays and objects more than {self.limit} "
                              "levels deep (MAX_JSON_DEPTH).", details={"max_json_depth": self.limit})


def deeper_than(raw: bytes | str, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels deep in the JSON text ``raw``."""
    data = raw.encode() if isinstance(raw, str) else raw
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    level = 0
    for start in range(0, len(brackets), _CHUNK):  # by chunks: a deep body stops the scan early
        levels = list(accumulate(map(_STEP.__getitem__, brackets[start:start + _CHUNK]), initial=level))
        if max(levels) > limit:
            return True
        level = levels[-1]
    return False


def loads(raw: bytes | str, max_depth: int) -> Any:
    """``json.loads(raw)``, or TooDeep when it nests deeper than ``max_depth``; ValueError if bad."""
    if deeper_than(raw, max_depth):
        raise TooDeep(max_depth)
    return json.loads(raw)
