"""Scope grammar and the most-specific-entry rule, as tables."""

from __future__ import annotations

import pytest

from app.errors import ScopeInvalid
from app.scopes import Scope

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
        ("res.partner:RX", "'res.partner:RX'"),
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
