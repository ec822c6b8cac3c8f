"""``within``: one scope never grants more than another, as a table and against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.access.scope_bounds import restricted, within
from app.core.access.scopes import LETTERS, Scope


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        ("*:R", "*:R", True),
        ("*:R", "*:RW", True),
        ("*:RW", "*:R", False),
        ("res.partner:RW", "*:RW", True),
        ("res.partner:RW", "res.partner:R,*:RW", False),  # the exact entry of outer decides
        ("res.partner:R", "res.partner:R", True),
        ("res.partner:R,*:", "res.partner:R", True),
        ("*:R", "res.partner:R", False),  # inner reads every model, outer only one
        ("sale.*:R", "sale.*:RW", True),
        ("sale.*:R", "sale.order:R", False),
        ("sale.order:R", "sale.*:R", True),
        ("sale.order.line:W", "sale.*:W,sale.order.*:R", False),  # the longer sale.order.* decides
        ("sale.order.line:W", "sale.*:W,sale.order:R", True),  # sale.order.line is under sale.*
        ("sale.order.line.tax:W", "sale.*:W,sale.order.line.*:R", False),
        ("sale.*:R", "*:R,sale.order:", False),  # outer denies one model that inner reads
        ("sale.*:R,sale.order:", "*:R,sale.order:", True),
        ("*:X(action_post)", "*:X", True),
        ("*:X", "*:X(action_post)", False),
        ("*:X(action_post)", "*:X(action_cancel|action_post)", True),
        ("*:X(action_draft)", "*:X(action_cancel|action_post)", False),
        ("res.partner:", "res.users:", True),  # grants nothing: within anything
        ("res.partner:D", "*:RWX", False),
    ],
)
def test_within(inner: str, outer: str, expected: bool) -> None:
    assert within(Scope.parse(inner), Scope.parse(outer)) is expected


@pytest.mark.parametrize(
    ("scope", "letters", "expected"),
    [
        ("*:RWDX", "R", "*:R"),
        ("res.partner:RW,*:R", "RW", "res.partner:RW,*:R"),
        ("res.partner:RWD,sale.*:X(action_confirm),*:R", "R", "res.partner:R,sale.*:,*:R"),
        ("sale.*:RX(action_confirm)", "RWDX", "sale.*:RX(action_confirm)"),
    ],
)
def test_restricted(scope: str, letters: str, expected: str) -> None:
    assert str(restricted(Scope.parse(scope), letters)) == expected


MODELS = ["res.partner", "res.users", "sale.order", "sale.order.line", "sale.order.line.tax", "sale",
          "account.move", "product.product"]
PATTERNS = ["res.partner", "res.users", "sale.order", "sale.order.line", "sale.*", "sale.order.*",
            "sale.order.line.*", "res.*", "*"]
LETTER_SETS = ["", "R", "RW", "RWD", "W", "X", "RX", "X(action_post)", "RX(action_cancel|action_post)"]


def _scope() -> st.SearchStrategy[Scope]:
    entries = st.dictionaries(st.sampled_from(PATTERNS), st.sampled_from(LETTER_SETS), min_size=1, max_size=5)
    return entries.map(lambda found: Scope.parse(",".join(f"{p}:{g}" for p, g in found.items())))


def _wider_somewhere(inner: Scope, outer: Scope) -> bool:
    """Brute force over models and methods: does inner allow something outer does not?"""
    unlisted = [pattern[:-1] + "zzz" for pattern in PATTERNS if pattern.endswith("*")]  # under each prefix
    for model in [*MODELS, *unlisted]:
        for letter in LETTERS:
            for method in (None, "action_post", "action_cancel", "action_draft"):
                if inner.allows(model, letter, method) and not outer.allows(model, letter, method):
                    return True
    return False


@settings(max_examples=400, deadline=None)
@given(_scope(), _scope())
def test_within_agrees_with_brute_force(inner: Scope, outer: Scope) -> None:
    assert within(inner, outer) is not _wider_somewhere(inner, outer)


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        ("res.partner:R[name]", "res.partner:R", True),
        ("res.partner:R", "res.partner:R[name]", False),  # every field against one
        ("res.partner:R[name]", "res.partner:R[email,name]", True),
        ("res.partner:R[name,phone]", "res.partner:R[email,name]", False),
        ("res.partner:R[x_a]", "res.partner:R[x_*]", True),
        ("res.partner:R[x_a*]", "res.partner:R[x_*]", True),
        ("res.partner:R[x_*]", "res.partner:R[x_a*]", False),
        ("res.partner:R[-email]", "res.partner:R[name]", False),  # a deny list reads unnamed fields
        ("res.partner:R[name]", "res.partner:R[-email]", True),
        ("res.partner:R[email]", "res.partner:R[-email]", False),
        ("res.partner:R[-email,-phone]", "res.partner:R[-email]", True),
        ("res.partner:R[-email]", "res.partner:R[-email,-phone]", False),
        ("res.partner:R[-x_*]", "res.partner:R[-x_a]", True),
        ("res.partner:R[-x_a]", "res.partner:R[-x_*]", False),
        ("res.partner:R[x_*]", "res.partner:R[-email]", False),  # judged wider: conservative
        ("res.partner:RW[note]", "res.partner:RW", True),
        ("res.partner:RW", "res.partner:R[name]W", False),
        ("res.partner:W", "res.partner:R[name]W", True),  # no R: read rules do not matter
        ("res.partner:RW", "res.partner:RW[note]", False),
        ("res.partner:R[name]X(a)", "*:R[-c*]X", True),
    ],
)
def test_within_with_field_rules(inner: str, outer: str, expected: bool) -> None:
    assert within(Scope.parse(inner), Scope.parse(outer)) is expected


def test_restricted_keeps_field_rules_with_their_letter() -> None:
    cut = restricted(Scope.parse("res.partner:R[name]W[email]D,*:R[-c*]"), "R")
    assert str(cut) == "res.partner:R[name],*:R[-c*]"


FIELDS = ["name", "email", "x_a", "x_ab", "x_b", "id", "city"]
FIELD_SETS = ["R[name]", "R[email,name]", "R[x_*]", "R[x_a*]", "R[-email]", "R[-x_*]", "R[-x_a,-city]",
              "RW[name]", "RW[-x_*]", "R[name]W", "W[email]", "RW"]


def _fielded() -> st.SearchStrategy[Scope]:
    entries = st.dictionaries(st.sampled_from(PATTERNS), st.sampled_from(FIELD_SETS), min_size=1, max_size=4)
    return entries.map(lambda found: Scope.parse(",".join(f"{p}:{g}" for p, g in found.items())))


@settings(max_examples=400, deadline=None)
@given(_fielded(), _fielded())
def test_within_never_lets_field_rules_widen(inner: Scope, outer: Scope) -> None:
    if not within(inner, outer):
        return
    unlisted = [pattern[:-1] + "zzz" for pattern in PATTERNS if pattern.endswith("*")]
    for model in [*MODELS, *unlisted]:
        mine, theirs = inner.grant_for(model), outer.grant_for(model)
        for field in FIELDS:
            assert not (mine.readable(field) and not theirs.readable(field)), (model, field)
            assert not (mine.writable(field) and not theirs.writable(field)), (model, field)
