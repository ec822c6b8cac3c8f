"""Reading an XML-RPC answer in C where it is plain, and with the stdlib wherever it is not.

``xmlrpc.client`` parses with expat (C) but calls back into Python three times per element
(start, data, end) and dispatches each through a dictionary: for a ``search_read`` of 10
records that was most of a call's CPU. Here ElementTree's C parser builds the tree, and one
Python step per ``<value>`` turns it into the same Python values.

Only the shapes a real XML-RPC server sends take this path: a ``methodResponse`` with
``params``, each value one of nil, boolean, int (i4, i8, int), double, string (or bare text),
base64, array or struct, each element where the specification puts it. Anything else (a fault,
a date, a prefixed tag, an unknown or misplaced element, a DOCTYPE, comment or CDATA, text that
is not a number, XML that does not parse, an answer nested deeper than ANSWER_DEPTH) is read
again, from the same bytes, by the stdlib's parser and the bounded Unmarshaller: it answers or
raises exactly as before.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: N817 - the module's usual name
import xmlrpc.client
from typing import Any

from app.odoo.depth import ANSWER_DEPTH, bounded_parser

# Answers up to this size are read by ElementTree: their tree is about nine times their size,
# and beyond a few hundred kB building it costs nearly what the stdlib's reading does.
WHOLE_BYTES = 1024 * 1024


class _Unusual(Exception):
    """Not a shape the fast path reads: let the stdlib read it."""


class AnswerReader:
    """Reads one answer as it arrives (``feed``, then ``close``): ElementTree while it is small
    and plain, the stdlib's parser from the first sign that it is not.

    Whatever the stdlib would have refused, it still refuses as the bytes arrive: once
    ElementTree cannot parse a chunk, the stdlib is fed everything so far and raises (or reads
    on) at that point, as it did when it read every answer.
    """

    def __init__(self, use_datetime: bool = False, use_builtin_types: bool = False) -> None:
        self._flags = (use_datetime, use_builtin_types)
        self._tree: ET.XMLParser | None = ET.XMLParser()  # noqa: S314 - expat, as the stdlib's; no DTD reaches it
        self._chunks: list[bytes] = []
        self._size = 0
        self._last = b""
        self._stdlib: tuple[Any, Any] | None = None

    def feed(self, chunk: bytes) -> None:
        if self._stdlib is not None:
            self._stdlib[0].feed(chunk)
            return
        self._chunks.append(chunk)
        self._size += len(chunk)
        # A DOCTYPE (entities), comment or CDATA, even split between two chunks: no server's
        # plain answer has one, and the stdlib keeps handling them as it always did.
        plain = b"<!" not in self._last[-1:] + chunk and self._size <= WHOLE_BYTES
        self._last = chunk
        if plain and self._tree is not None:
            try:
                self._tree.feed(chunk)
                return
            except Exception:  # noqa: BLE001, S110 - not XML ElementTree reads: the stdlib decides
                pass
        self._switch()

    def close(self) -> tuple:
        """The answer as ``Unmarshaller.close()`` gives it (a tuple of the params)."""
        if self._stdlib is None and self._tree is not None:
            try:
                return _answer(self._tree.close(), self._flags[1])
            except Exception:  # noqa: BLE001 - whatever it was, the stdlib decides
                self._switch()
        if self._stdlib is None:
            self._switch()
        parser, unmarshaller = self._stdlib  # type: ignore[misc]
        parser.close()
        return unmarshaller.close()

    def _switch(self) -> None:
        """Hand the answer so far to the stdlib's parser (which raises where it always did)."""
        self._tree = None
        self._stdlib = bounded_parser(*self._flags)
        chunks, self._chunks = self._chunks, []
        for chunk in chunks:
            self._stdlib[0].feed(chunk)


def parse(chunks: list[bytes], use_datetime: bool = False, use_builtin_types: bool = False) -> tuple:
    """The answer in ``chunks``, read by an AnswerReader."""
    reader = AnswerReader(use_datetime, use_builtin_types)
    for chunk in chunks:
        reader.feed(chunk)
    return reader.close()


def _answer(root: ET.Element, use_bytes: bool) -> tuple:
    if root.tag != "methodResponse" or len(root) != 1 or root[0].tag != "params":
        raise _Unusual
    answer = []
    for param in root[0]:
        if param.tag != "param" or len(param) != 1 or param[0].tag != "value":
            raise _Unusual
        answer.append(_value(param[0], 0, use_bytes))
    return tuple(answer)


def _value(element: ET.Element, depth: int, use_bytes: bool) -> Any:
    """The Python value of one ``<value>`` element; ``depth``: arrays and structs around it."""
    if len(element) == 0:
        return element.text or ""  # a bare value is a string
    if len(element) != 1:
        raise _Unusual
    typed = element[0]
    tag = typed.tag
    if tag == "string":
        if len(typed):
            raise _Unusual
        return typed.text or ""
    if tag == "struct":
        if depth >= ANSWER_DEPTH:
            raise _Unusual  # the stdlib's bounded reading refuses it
        members = {}
        for member in typed:
            if member.tag != "member" or len(member) != 2:
                raise _Unusual
            name, value = member
            if name.tag != "name" or value.tag != "value" or len(name):
                raise _Unusual
            members[name.text or ""] = _value(value, depth + 1, use_bytes)
        return members
    if tag == "array":
        if depth >= ANSWER_DEPTH or len(typed) != 1 or typed[0].tag != "data":
            raise _Unusual
        items = []
        for item in typed[0]:
            if item.tag != "value":
                raise _Unusual
            items.append(_value(item, depth + 1, use_bytes))
        return items
    if len(typed):
        raise _Unusual
    return _SCALARS[tag](typed.text, use_bytes)


def _int(text: str | None, use_bytes: bool) -> int:
    return int(text)  # type: ignore[arg-type]  # None raises: the stdlib decides


def _double(text: str | None, use_bytes: bool) -> float:
    return float(text)  # type: ignore[arg-type]


def _boolean(text: str | None, use_bytes: bool) -> bool:
    if text == "0":
        return False
    if text == "1":
        return True
    raise _Unusual


def _nil(text: str | None, use_bytes: bool) -> None:
    return None


def _base64(text: str | None, use_bytes: bool) -> Any:
    value = xmlrpc.client.Binary()
    value.decode((text or "").encode("ascii"))
    return value.data if use_bytes else value


_SCALARS = {"int": _int, "i4": _int, "i8": _int, "double": _double, "boolean": _boolean,
            "nil": _nil, "base64": _base64}
