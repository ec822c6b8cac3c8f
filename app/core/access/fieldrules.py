"""Field rules of a scope entry: which fields R may read and W may write, as ``R[...]``/``W[...]``.

A list is either an allow list (``R[name,email,x_*]``) or a deny list (``R[-private_*,-salary]``);
``*`` is the only wildcard and matches any run of characters; ``R[*]`` is the same as plain ``R``.
The canonical form sorts the items. ``id`` is always readable (Odoo returns it with every record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from app.base.errors import ScopeInvalid

_ITEM = re.compile(r"^-?[A-Za-z_*][A-Za-z0-9_*]*$")
# A bracket list follows the letter it restricts: R[...] or W[...].
BRACKETS = re.compile(r"([A-Za-z]?)\[([^\[\]]*)\]")
ALWAYS_READABLE = frozenset({"id"})


@dataclass(frozen=True)
class FieldRule:
    """An allow list or a deny list of field name patterns."""

    patterns: tuple[str, ...]
    deny: bool = False

    def allows(self, name: str) -> bool:
        matched = any(fnmatchcase(name, pattern) for pattern in self.patterns)
        return not matched if self.deny else matched

    @property
    def exact(self) -> tuple[str, ...] | None:
        """The allowed names when this is an allow list without wildcards, else None."""
        if self.deny or any("*" in pattern for pattern in self.patterns):
            return None
        return self.patterns

    def __str__(self) -> str:
        prefix = "-" if self.deny else ""
        return "[" + ",".join(prefix + pattern for pattern in self.patterns) + "]"


def rule_within(inner: FieldRule | None, outer: FieldRule | None) -> bool:
    """Whether every field ``inner`` allows, ``outer`` allows too (None allows every field).

    With ``*`` as the only wildcard, pattern ``q`` names a subset of pattern ``p`` when the text
    of ``q`` (its stars taken literally) matches ``p``: each star of ``q`` lands in a star of ``p``.
    A wildcard allowed by ``inner`` against a deny list is judged wider (conservatively).
    """
    if outer is None:
        return True
    if inner is None:
        return False
    if not outer.deny:
        return not inner.deny and all(
            any(fnmatchcase(q, p) for p in outer.patterns) for q in inner.patterns)
    if inner.deny:  # every field outer hides, inner hides too
        return all(any(fnmatchcase(d, e) for e in inner.patterns) for d in outer.patterns)
    return all("*" not in q and outer.allows(q) for q in inner.patterns)


def parse_rule(entry: str, letter: str, listed: str) -> FieldRule | None:
    """The rule of ``letter[listed]`` in ``entry`` (None when it allows every field)."""
    items = [item.strip() for item in listed.split(",")]
    if letter not in ("R", "W"):
        raise ScopeInvalid(
            f"Scope entry {entry!r}: only R and W take a field list, right after the letter: "
            "R[name,email] or W[note]."
        )
    bad = [item for item in items if not _ITEM.match(item)]
    if bad:
        raise ScopeInvalid(
            f"Scope entry {entry!r} has a bad field pattern {bad[0]!r} in {letter}[...]: use field "
            "names, '*' wildcards ('x_*'), and '-' in front of each name of a deny list."
        )
    if len(set(items)) != len(items):
        raise ScopeInvalid(f"Scope entry {entry!r} names a field twice in {letter}[...].")
    denied = {item.startswith("-") for item in items}
    if len(denied) > 1:
        raise ScopeInvalid(
            f"Scope entry {entry!r} mixes allowed and denied fields in {letter}[...]: a list is "
            "either an allow list (R[name,email]) or a deny list (R[-salary,-private_*])."
        )
    patterns = tuple(sorted(item.lstrip("-") for item in items))
    if denied == {False} and "*" in patterns:
        if len(patterns) > 1:
            raise ScopeInvalid(f"Scope entry {entry!r}: '*' allows every field; name no others.")
        return None  # R[*] is plain R
    if denied == {True} and "*" in patterns:
        raise ScopeInvalid(f"Scope entry {entry!r}: '-*' hides every field; drop the letter instead.")
    return FieldRule(patterns, deny=denied == {True})


def split_entries(text: str) -> list[str]:
    """``text`` split on the commas outside brackets (field lists hold commas of their own)."""
    entries, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if depth not in (0, 1):
            raise ScopeInvalid(f"The scope {text!r} has unbalanced or nested brackets.")
        if char == "," and depth == 0:
            entries.append(text[start:index])
            start = index + 1
    if depth:
        raise ScopeInvalid(f"The scope {text!r} has an unclosed '[': close each field list with ']'.")
    entries.append(text[start:])
    return entries
