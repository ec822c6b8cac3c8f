"""Odoo domains: parse the Polish-notation list into a tree and test values against leaves."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

OPERATORS = frozenset({
    "=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike", "not like", "not ilike",
    "=like", "=ilike", "child_of", "parent_of", "any", "not any",
})
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)
Node = tuple  # ("&", a, b) | ("|", a, b) | ("!", a) | ("leaf", field, op, value)


def leaf_repr(leaf: Any) -> str:
    """Format a leaf the way Odoo's messages do: as a tuple."""
    return repr(tuple(leaf)) if isinstance(leaf, (list, tuple)) else repr(leaf)


def parse(domain: Any, check_leaf: Callable[[str, str, Any, Any], None]) -> Node:
    """Parse a domain into a tree, calling check_leaf(field, op, value, leaf) on each leaf."""
    if not isinstance(domain, (list, tuple)):
        raise ValueError(f"Invalid domain: {domain!r}")
    items = list(domain)
    pos = 0

    def term() -> Node:
        nonlocal pos
        if pos >= len(items):
            raise ValueError(f"Domain {domain!r} is syntactically not correct.")
        item = items[pos]
        pos += 1
        if item == "!":
            return ("!", term())
        if item in ("&", "|"):
            return (item, term(), term())
        return _leaf(item, check_leaf)

    nodes = []
    while pos < len(items):
        nodes.append(term())
    if not nodes:
        return ("leaf", *TRUE_LEAF)
    tree = nodes[-1]
    for node in reversed(nodes[:-1]):
        tree = ("&", node, tree)
    return tree


def _leaf(token: Any, check_leaf: Callable[[str, str, Any, Any], None]) -> Node:
    """Validate one leaf token and return its node."""
    if not isinstance(token, (list, tuple)) or len(token) != 3:
        raise ValueError(f"Invalid leaf {leaf_repr(token)}")
    field, op, value = token
    if tuple(token) in (TRUE_LEAF, FALSE_LEAF):
        return ("leaf", field, op, value)
    if not isinstance(field, str) or not isinstance(op, str) or op.lower() not in OPERATORS:
        raise ValueError(f"Invalid leaf {leaf_repr(token)}")
    check_leaf(field, op.lower(), value, token)
    return ("leaf", field, op.lower(), value)


def evaluate(node: Node, test_leaf: Callable[[str, str, Any], bool]) -> bool:
    """Evaluate a parsed domain for one record, given a leaf test bound to that record."""
    kind = node[0]
    if kind == "&":
        return evaluate(node[1], test_leaf) and evaluate(node[2], test_leaf)
    if kind == "|":
        return evaluate(node[1], test_leaf) or evaluate(node[2], test_leaf)
    if kind == "!":
        return not evaluate(node[1], test_leaf)
    _, field, op, value = node
    if (field, op, value) in (TRUE_LEAF, FALSE_LEAF):
        return field == 1
    return test_leaf(field, op, value)


def _pattern(value: Any, op: str) -> re.Pattern[str]:
    """Turn an SQL LIKE value into a regex; like/ilike search for it anywhere."""
    text = str(value)
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text)
    if not op.startswith("="):
        body = f".*{body}.*"
    return re.compile(body, re.IGNORECASE | re.DOTALL if "ilike" in op else re.DOTALL)


def _like(values: list, op: str, value: Any) -> bool:
    """Tell whether any value matches a like-family pattern."""
    if value in ("", False) and not op.startswith("="):
        return True
    pattern = _pattern(value, op.removeprefix("not "))
    return any(isinstance(v, str) and pattern.fullmatch(v) for v in values)


def _order(values: list, op: str, value: Any) -> bool:
    """Tell whether any value compares as asked; unset values never do."""
    compare = {
        "<": lambda a: a < value, "<=": lambda a: a <= value,
        ">": lambda a: a > value, ">=": lambda a: a >= value,
    }[op]
    try:
        return any(v is not False and v is not None and compare(v) for v in values)
    except TypeError:
        return False


def matches(values: list, op: str, value: Any) -> bool:
    """Test a leaf against a record's values: several for x2many or dotted paths, none if unset.

    Like Odoo's SQL, negative operators also match records whose value is unset.
    """
    present = [v for v in values if v is not False and v is not None]
    if op in ("=", "!="):
        hit = not present if value is False or value is None else value in present
        return hit if op == "=" else not hit
    if op in ("in", "not in"):
        wanted = list(value) if isinstance(value, (list, tuple)) else [value]
        hit = any(v in wanted for v in present) or (False in wanted and not present)
        return hit if op == "in" else not hit
    if op in ("<", "<=", ">", ">="):
        return _order(present, op, value)
    hit = _like(present, op, value)
    return not hit if op.startswith("not ") else hit
