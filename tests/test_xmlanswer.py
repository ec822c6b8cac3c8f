"""The C-backed XML-RPC answer reader gives what the stdlib's gives, or lets the stdlib decide."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET  # noqa: N817
import xmlrpc.client
from types import SimpleNamespace
from xml.parsers.expat import ExpatError

import pytest

from app.base.errors import ResponseTooLarge
from app.odoo import xmlanswer
from app.odoo.depth import ANSWER_DEPTH, bounded_parser


def stdlib(chunks: list[bytes], use_builtin_types: bool = False) -> tuple:
    parser, unmarshaller = bounded_parser(use_builtin_types=use_builtin_types)
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()
    return unmarshaller.close()


def shown(value: object) -> str:
    """Every type and value all the way down (without object addresses)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


RECORD = {"id": 7, "name": "Café <&> \"Ø\"", "active": True, "parent_id": [3, "Azure"],
          "child_ids": [], "credit": -12.5, "comment": False, "note": "", "blank": "   ",
          "lines": "a\nb\tc", "big": 2**31 - 1, "neg": -(2**31), "nested": {"a": [{"b": None}]}}

ANSWERS = [
    [RECORD] * 10, [], {}, 0, "", None, True, 3.25, [[[[1]]]], {"": 1},
    xmlrpc.client.Binary(b"\x00\xffbytes"), {"k" * 300: "v" * 10_000},
]


@pytest.mark.parametrize("answer", ANSWERS, ids=range(len(ANSWERS)))
@pytest.mark.parametrize("builtin", [False, True])
def test_plain_answers_read_as_the_stdlib_reads_them(answer, builtin) -> None:
    raw = xmlrpc.client.dumps((answer,), methodresponse=True, allow_none=True).encode()
    chunks = [raw[i:i + 100] for i in range(0, len(raw), 100)]  # split anywhere, as reads are
    fast = xmlanswer.parse(chunks, use_builtin_types=builtin)
    assert fast == stdlib(chunks, use_builtin_types=builtin)
    assert type(fast[0]) is type(stdlib(chunks, use_builtin_types=builtin)[0])
    assert shown(fast) == shown(stdlib(chunks, use_builtin_types=builtin))  # same types all down


def test_the_fast_path_is_taken_for_a_plain_answer(monkeypatch) -> None:
    raw = xmlrpc.client.dumps(([RECORD],), methodresponse=True, allow_none=True).encode()
    monkeypatch.setattr(xmlanswer, "bounded_parser", None)  # the fallback would now fail
    assert xmlanswer.parse([raw]) == ([RECORD],)


HAND_WRITTEN = [
    b"<methodResponse><params><param><value>bare text</value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><i4> 42 </i4></value></param></params></methodResponse>",
    b"<?xml version='1.0' encoding='iso-8859-1'?><methodResponse><params><param><value><string>"
    b"\xe9t\xe9</string></value></param></params></methodResponse>",
    # Odd shapes: a date, a prefixed tag, bigdecimal, text around values, an unknown element,
    # two values in a param, a comment, CDATA, a DOCTYPE with an entity.
    b"<methodResponse><params><param><value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>"
    b"</value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><ex:nil/></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><bigdecimal>1.50</bigdecimal></value></param></params>"
    b"</methodResponse>",
    b"<methodResponse><params><param>x<value>a<string>b</string>c</value>y</param></params>"
    b"</methodResponse>",
    b"<methodResponse><params><param><value><array><data><value><int>1</int></value><junk/>"
    b"</data></array></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><string>a<!-- c -->b</string></value></param></params>"
    b"</methodResponse>",
    b"<methodResponse><params><param><value><string><![CDATA[<x>]]></string></value></param>"
    b"</params></methodResponse>",
    b"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY e 'ent'>]><methodResponse><params><param><value>"
    b"<string>&e;</string></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><struct><member><value><int>1</int></value>"
    b"<name>late</name></member></struct></value></param></params></methodResponse>",
]


@pytest.mark.parametrize("raw", HAND_WRITTEN, ids=range(len(HAND_WRITTEN)))
def test_hand_written_answers_read_as_the_stdlib_reads_them(raw) -> None:
    assert shown(xmlanswer.parse([raw])) == shown(stdlib([raw]))


def test_dates_come_back_as_the_stdlib_gives_them() -> None:
    raw = xmlrpc.client.dumps((datetime.datetime(2024, 1, 2, 3, 4, 5),), methodresponse=True).encode()
    assert isinstance(xmlanswer.parse([raw])[0], xmlrpc.client.DateTime)


FAILING = [
    b"<html><body>502 Bad Gateway</body></html>",
    b"<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><boolean>2</boolean></value></param></params>"
    b"</methodResponse>",
    b"<methodResponse><params><param><value><nope/></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><int>1</int>",
    b"<methodResponse></methodResponse>",
    b"not xml at all",
]


@pytest.mark.parametrize("raw", FAILING, ids=range(len(FAILING)))
def test_bad_answers_raise_what_the_stdlib_raises(raw) -> None:
    with pytest.raises(Exception) as expected:
        stdlib([raw])
    with pytest.raises(type(expected.value)) as got:
        xmlanswer.parse([raw])
    assert str(got.value) == str(expected.value)


def test_a_fault_is_raised_as_the_stdlib_raises_it() -> None:
    raw = xmlrpc.client.dumps(xmlrpc.client.Fault(2, "Record does not exist"),
                              methodresponse=True).encode()
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlanswer.parse([raw])
    assert (fault.value.faultCode, fault.value.faultString) == (2, "Record does not exist")


@pytest.mark.parametrize("depth", [ANSWER_DEPTH, ANSWER_DEPTH + 1, 5000])
def test_depth_bound_is_the_stdlibs(depth) -> None:
    raw = (b"<methodResponse><params><param>" + b"<value><array><data>" * depth
           + b"</data></array></value>" * depth + b"</param></params></methodResponse>")
    if depth <= ANSWER_DEPTH:
        assert xmlanswer.parse([raw]) == stdlib([raw])
    else:
        with pytest.raises(ResponseTooLarge):
            xmlanswer.parse([raw])


def test_what_is_not_xml_is_refused_as_it_arrives() -> None:
    reader = xmlanswer.AnswerReader()
    with pytest.raises(ExpatError):  # at once, as the stdlib did: not after a timeout at close
        reader.feed(b"502 Bad Gateway <b>nginx</b>")


def test_a_doctype_never_reaches_elementtree_even_split_between_chunks(monkeypatch) -> None:
    seen = []

    class Recording(ET.XMLParser):
        def feed(self, data: bytes) -> None:
            seen.append(data)
            super().feed(data)

    monkeypatch.setattr(xmlanswer, "ET", SimpleNamespace(XMLParser=Recording))
    raw = HAND_WRITTEN[-2]  # a DOCTYPE with an entity
    for cut in range(1, len(raw)):
        seen.clear()
        assert xmlanswer.parse([raw[:cut], raw[cut:]]) == stdlib([raw])
        assert b"<!" not in b"".join(seen)
