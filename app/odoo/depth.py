"""A bound on how deeply Odoo's answers may nest, for XML-RPC and JSON-2 alike.

Parsing an answer does not recurse (expat and the stdlib's Unmarshaller keep explicit stacks),
but everything after it does: rendering JSON, logging, MCP's text copy. An answer nested deeper
than ``ANSWER_DEPTH`` is refused while it is read, so no recursion limit is reachable; no real
Odoo answer comes near it (records nest a few levels).
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from app.base.errors import ResponseTooLarge

ANSWER_DEPTH = 200
TOO_DEEP = (f"Odoo's answer nests arrays and objects more than {ANSWER_DEPTH} levels deep: the "
            "gateway does not pass it on.")


class BoundedUnmarshaller(xmlrpc.client.Unmarshaller):
    """The stdlib's Unmarshaller, refusing arrays and structs nested deeper than ANSWER_DEPTH."""

    def start(self, tag: str, attrs: Any) -> None:
        if len(self._marks) >= ANSWER_DEPTH and tag in ("array", "struct"):  # type: ignore[attr-defined]
            # Odoo did answer, so this must not count against the breaker (ResponseTooLarge
            # is how the transports say "an answer, but not one to pass on").
            raise ResponseTooLarge(TOO_DEEP)
        super().start(tag, attrs)


def bounded_parser(use_datetime: bool = False, use_builtin_types: bool = False
                   ) -> tuple[xmlrpc.client.ExpatParser, BoundedUnmarshaller]:
    """Like ``xmlrpc.client.getparser``, with the bounded Unmarshaller."""
    unmarshaller = BoundedUnmarshaller(use_datetime=use_datetime, use_builtin_types=use_builtin_types)
    return xmlrpc.client.ExpatParser(unmarshaller), unmarshaller
