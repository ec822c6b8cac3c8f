"""Scope grammar and the most-specific-entry rule, as tables."""

from __future__ import annotations

import pytest

from app.base.errors import ScopeInvalid
from app.core.access.scopes import Scope

SCOPE = "res.partner:RWD,sale.order:RW,product.*:R,sale.*:W,sale.order.line.*:D,res.users:,*:R"


@pytest.mark.parametrize(
    ("model", "letter", "allowed"),
    [
        ("res.partner", "R", True),
        ("res.partner", "W", True),
        ("res.partner", "D", True),
        ("sale.order", "W", True),
        ("sale.order", "D", False),
        ("product.product", "R", True),
        ("product.product", "W", False),
        ("product.template", "R", True),
        ("sale.order.line", "W", True),  # sale.* is the longest matching prefix
        ("sale.order.line", "R", False),  # ...and alone decides: no fallback to *:R
        ("sale.order.line.tax", "D", True),  # longest prefix wins over sale.*
        ("sale.order.line.tax", "W", False),
        ("sale", "R", True),  # "sale.*" needs a dot: plain "sale" falls to *
        ("sale", "W", False),
        ("res.users", "R", False),  # empty letters deny explicitly
        ("account.move", "R", True),
        ("account.move", "W", False),
        ("productx.thing", "R", True),  # not matched by product.*, falls to *:R
        ("productx.thing", "W", False),
    ],
)
def test_most_specific_entry_decides(model: str, letter: str, allowed: bool) -> None:
    assert Scope.parse(SCOPE).allows(model, letter) is allowed


@pytest.mark.parametrize(
    ("text", "model", "letter", "allowed"),
    [
        ("*:RWD,res.partner:R", "res.partner", "W", False),
        ("*:RWD,res.partner:R", "sale.order", "W", True),
        ("res.partner:R", "sale.order", "R", False),  # no entry matches: deny
        ("*:", "res.partner", "R", False),
        (" res.partner : rw ", "res.partner", "W", True),
        ("sale.*:R", "sale.order", "R", True),
    ],
)
def test_small_scopes(text: str, model: str, letter: str, allowed: bool) -> None:
    assert Scope.parse(text).allows(model, letter) is allowed


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("*:R", "*:R"),
        ("*:r", "*:R"),
        ("res.partner:DWR", "res.partner:RWD"),
        ("*:R, sale.*:rw ,res.partner:D", "res.partner:D,sale.*:RW,*:R"),
        ("a.*:R,a.b.*:W", "a.b.*:W,a.*:R"),
        ("res.users:", "res.users:"),
        ("x_custom.model:RW", "x_custom.model:RW"),
    ],
)
def test_canonical_form(text: str, canonical: str) -> None:
    assert str(Scope.parse(text)) == canonical
    assert str(Scope.parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("res.partner", "'res.partner'"),
        ("res.partner:RQ", "'res.partner:RQ'"),
        ("res.partner:RR", "'res.partner:RR'"),
        ("res.partner:R,res.partner:W", "res.partner"),
        ("*:R,*:W", "'*'"),
        ("sale.*:R,sale.*:W", "sale.*"),
        ("Res.Partner:R", "'Res.Partner:R'"),
        ("res partner:R", "'res partner:R'"),
        ("res.partner.:R", "'res.partner.:R'"),
        ("*.partner:R", "'*.partner:R'"),
        ("sale*:R", "'sale*:R'"),
        ("res.partner:R,", "''"),
        (":R", "':R'"),
        ("res.partner:R W", "'res.partner:R W'"),
    ],
)
def test_invalid_scopes_name_the_bad_entry(text: str, named: str) -> None:
    with pytest.raises(ScopeInvalid) as caught:
        Scope.parse(text)
    assert named in caught.value.message
    assert caught.value.http_status == 400 and caught.value.code == "scope_invalid"


X_SCOPE = "sale.order:RX(action_confirm|action_cancel),sale.*:X,res.partner:RW,account.*:RX(action_post),*:R"


@pytest.mark.parametrize(
    ("model", "method", "allowed"),
    [
        ("sale.order", "action_confirm", True),  # restricted list, granted
        ("sale.order", "action_cancel", True),
        ("sale.order", "action_draft", False),  # restricted list, not named
        ("sale.order", None, False),  # a restricted X needs the method to decide
        ("sale.order.line", "anything", True),  # sale.*:X grants every public method
        ("sale.order.line", None, True),
        ("res.partner", "action_archive", False),  # RW without X
        ("account.move", "action_post", True),
        ("account.move", "button_draft", False),
        ("product.product", "copy", False),  # *:R has no X
    ],
)
def test_x_letter_and_method_lists(model: str, method: str | None, allowed: bool) -> None:
    assert Scope.parse(X_SCOPE).allows(model, "X", method) is allowed


@pytest.mark.parametrize(
    ("model", "letter", "allowed"),
    [
        ("sale.order", "R", True),  # the other letters of a restricted entry are unaffected
        ("sale.order", "W", False),
        ("sale.order.line", "R", False),  # sale.*:X alone decides: no fallback to *:R
        ("account.move", "R", True),
    ],
)
def test_x_entries_keep_the_most_specific_rule(model: str, letter: str, allowed: bool) -> None:
    assert Scope.parse(X_SCOPE).allows(model, letter) is allowed


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("sale.order:x", "sale.order:X"),
        ("sale.order:XRW", "sale.order:RWX"),
        ("sale.order:X(action_confirm|action_cancel)R", "sale.order:RX(action_cancel|action_confirm)"),
        ("sale.order: x( action_confirm | action_cancel ) ", "sale.order:X(action_cancel|action_confirm)"),
        ("*:RWDX", "*:RWDX"),
        ("res.partner:X(addressGet)", "res.partner:X(addressGet)"),  # method case is kept
    ],
)
def test_x_canonical_form(text: str, canonical: str) -> None:
    assert str(Scope.parse(text)) == canonical
    assert str(Scope.parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("sale.order:X()", "bad method ''"),
        ("sale.order:X(_private)", "'_private'"),
        ("sale.order:X(action_confirm|)", "bad method ''"),
        ("sale.order:X(a|a)", "twice"),
        ("sale.order:X(a)X(b)", "repeats"),
        ("sale.order:XX(a)", "repeats"),
        ("sale.order:R(a)", "only X"),
        ("sale.order:X(a b)", "'a b'"),
        ("sale.order:X(a.b)", "'a.b'"),
        ("sale.order:X(a", "only X"),
    ],
)
def test_invalid_x_entries_are_refused(text: str, named: str) -> None:
    with pytest.raises(ScopeInvalid) as caught:
        Scope.parse(text)
    assert named in caught.value.message
