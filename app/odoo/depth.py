"""A bound on how deeply Odoo's answers may nest, for XML-RPC and JSON-2 alike.

Parsing an answer does not recurse (expat and the stdlib's Unmarshaller keep explicit stacks),
but everything after it does: rendering JSON, logging, MCP's text copy. An answer nested deeper
than ``ANSWER_DEPTH`` is refused while it is read, so no recursion limit is reachable; no real
Odoo answer comes near it (records nest a few levels).
"""

from __future__ import annotations

import xmlrpc.client

from app.base.errors import ResponseTooLarge

ANSWER_DEPTH = 200
TOO_DEEP = (f"Odoo's answer nests arrays and objects more than {ANSWER_DEPTH} levels deep: the "
            "gateway does not pass it on.")


class _Marks(list):
    """The Unmarshaller's stack of open arrays and structs, refusing one more than ANSWER_DEPTH."""

    def append(self, mark: int) -> None:
        if len(self) >= ANSWER_DEPTH:
            # Odoo did answer, so this must not count against the breaker (ResponseTooLarge
            # is how the transports say "an answer, but not one to pass on").
            raise ResponseTooLarge(TOO_DEEP)
        super().append(mark)


class BoundedUnmarshaller(xmlrpc.client.Unmarshaller):
    """The stdlib's Unmarshaller, refusing arrays and structs nested deeper than ANSWER_DEPTH."""

    def __init__(self, use_datetime: bool = False, use_builtin_types: bool = False) -> None:
        super().__init__(use_datetime=use_datetime, use_builtin_types=use_builtin_types)
        # Only array and struct push a mark: checking there, not in start(), spares a Python
        # call for every element of an answer (hundreds per record list).
        self._marks = _Marks()


def bounded_parser(use_datetime: bool = False, use_builtin_types: bool = False
                   ) -> tuple[xmlrpc.client.ExpatParser, BoundedUnmarshaller]:
    """Like ``xmlrpc.client.getparser``, with the bounded Unmarshaller."""
    unmarshaller = BoundedUnmarshaller(use_datetime=use_datetime, use_builtin_types=use_builtin_types)
    return xmlrpc.client.ExpatParser(unmarshaller), unmarshaller
