"""Scope: which permission letters an API key grants on which Odoo models.

Grammar (CONTRACT.md section 3, extended with X for business methods)::

    scope   := entry ("," entry)*
    entry   := pattern ":" letters
    pattern := MODEL | PREFIX ".*" | "*"
    letters := any of R, W, D, X (case-insensitive, each at most once; empty denies)
    R, W    := "R" | "R[" fields "]"  (and W alike)     fields: see app.core.access.fieldrules
    X       := "X" | "X(" method ("|" method)* ")"     methods: public names, each at most once

``X`` alone grants every public method through the ``call`` tool; ``X(action_confirm|action_cancel)``
grants only those. ``R[name,email]`` reads only those fields, ``W[-list_price]`` writes every field
but that one (docs/scopes.md). The most specific entry alone decides: the exact model name, then the longest
matching prefix pattern, then ``*``; when nothing matches, everything is denied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.base.errors import ScopeInvalid
from app.core.access.fieldrules import ALWAYS_READABLE, BRACKETS, FieldRule, parse_rule, split_entries

LETTERS = "RWDX"
MODEL_NAME = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
METHOD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # public: never a leading underscore
_PREFIX = re.compile(r"^([a-z0-9_]+(?:\.[a-z0-9_]+)*)\.\*$")
_X_METHODS = re.compile(r"X\(([^()]*)\)", re.IGNORECASE)
_METHOD = r"\s*[A-Za-z][A-Za-z0-9_]*\s*"
_ENTRY = (r"\s*(?:\*|[a-z0-9_]+(?:\.[a-z0-9_]+)*(?:\.\*)?)\s*:\s*"
          rf"(?:[RWDrwd]|[Xx](?:\({_METHOD}(?:\|{_METHOD})*\))?)*\s*")
# The scope's grammar for the OpenAPI document (a letter, model or method given twice is refused too).
SCOPE_PATTERN = rf"^{_ENTRY}(?:,{_ENTRY})*$"


@dataclass(frozen=True)
class Grant:
    """The letters of one entry; ``methods`` restricts X (None: every public method)."""

    letters: str
    methods: tuple[str, ...] | None = None
    read: FieldRule | None = None  # None: every field (when R is granted)
    write: FieldRule | None = None

    def allows(self, letter: str, method: str | None = None) -> bool:
        if letter not in self.letters:
            return False
        if letter == "X" and self.methods is not None:
            return method in self.methods
        return True

    @property
    def field_restricted(self) -> bool:
        return self.read is not None or self.write is not None

    def readable(self, name: str) -> bool:
        """Whether field ``name`` may be read (or filtered, sorted, grouped on)."""
        if "R" not in self.letters:
            return False
        return self.read is None or name in ALWAYS_READABLE or self.read.allows(name)

    def writable(self, name: str) -> bool:
        if name in ALWAYS_READABLE:
            return False  # an id is never written
        return "W" in self.letters and (self.write is None or self.write.allows(name))

    def __str__(self) -> str:
        text = ""
        for letter in self.letters:
            text += letter
            if letter == "X" and self.methods is not None:
                text += f"({'|'.join(self.methods)})"
            rule = {"R": self.read, "W": self.write}.get(letter)
            if rule is not None:
                text += str(rule)
        return text


_DENY = Grant("")


@dataclass(frozen=True)
class Scope:
    """A parsed, immutable scope; ``str(scope)`` is its canonical form."""

    exact: dict[str, Grant]
    prefixes: tuple[tuple[str, Grant], ...]  # (prefix with trailing dot, grant), longest first
    default: Grant | None  # grant of "*", or None when no "*" entry

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse ``text`` or raise ScopeInvalid naming the bad entry."""
        if not isinstance(text, str) or not text.strip():
            raise ScopeInvalid("The scope is empty: use entries like 'res.partner:RW,*:R'.")
        exact: dict[str, Grant] = {}
        prefixes: dict[str, Grant] = {}
        default: Grant | None = None
        for raw in split_entries(text):
            pattern, grant = _parse_entry(raw)
            if pattern in exact or pattern in prefixes or (pattern == "*" and default is not None):
                raise ScopeInvalid(f"Scope entry {raw.strip()!r} names {pattern!r} twice.")
            if pattern == "*":
                default = grant
            elif pattern.endswith(".*"):
                prefixes[pattern] = grant
            else:
                exact[pattern] = grant
        ordered = sorted(((p[:-1], v) for p, v in prefixes.items()), key=lambda i: (-len(i[0]), i[0]))
        return cls(exact=dict(sorted(exact.items())), prefixes=tuple(ordered), default=default)

    def grant_for(self, model: str) -> Grant:
        """The grant of ``model``'s most specific entry (an empty grant when denied)."""
        if model in self.exact:
            return self.exact[model]
        for prefix, grant in self.prefixes:
            if model.startswith(prefix):
                return grant
        return self.default or _DENY

    def letters_for(self, model: str) -> str:
        """The letters granted on ``model`` by its most specific entry ('' when denied)."""
        return self.grant_for(model).letters

    def letters_anywhere(self) -> set[str]:
        """Every letter granted on at least one model (a tool needing another can never run)."""
        grants = [*self.exact.values(), *(grant for _, grant in self.prefixes), self.default or _DENY]
        return {letter for grant in grants for letter in grant.letters}

    @property
    def field_restricted(self) -> bool:
        """Whether any entry restricts fields (which turns the field policy on for the key)."""
        grants = [*self.exact.values(), *(grant for _, grant in self.prefixes), self.default or _DENY]
        return any(grant.field_restricted for grant in grants)

    def field_rules(self) -> list[dict]:
        """Each entry's field rules, for people: [{"model", "read": {"allow": [...]}, ...}]."""
        entries = [*self.exact.items(), *((f"{p}*", g) for p, g in self.prefixes)]
        if self.default is not None:
            entries.append(("*", self.default))
        shown = []
        for pattern, grant in entries:
            rules = {what: {"deny" if rule.deny else "allow": list(rule.patterns)}
                     for what, rule in (("read", grant.read), ("write", grant.write)) if rule}
            if rules:
                shown.append({"model": pattern, **rules})
        return shown

    def allows(self, model: str, letter: str, method: str | None = None) -> bool:
        """Whether ``letter`` is granted on ``model``; X also needs the ``method`` when restricted."""
        return self.grant_for(model).allows(letter, method)

    def __str__(self) -> str:
        parts = [f"{name}:{grant}" for name, grant in self.exact.items()]
        parts += [f"{prefix}*:{grant}" for prefix, grant in self.prefixes]
        if self.default is not None:
            parts.append(f"*:{self.default}")
        return ",".join(parts)

    def __hash__(self) -> int:
        return hash(str(self))


def _parse_entry(raw: str) -> tuple[str, Grant]:
    entry = raw.strip()
    if ":" not in entry:
        raise ScopeInvalid(f"Scope entry {entry!r} has no ':'; write it as MODEL:LETTERS.")
    pattern, _, letters = (part.strip() for part in entry.partition(":"))
    if not (pattern == "*" or MODEL_NAME.match(pattern) or _PREFIX.match(pattern)):
        raise ScopeInvalid(
            f"Scope entry {entry!r} has a bad model name; use 'res.partner', 'sale.*' or '*'."
        )
    return pattern, _grant(entry, letters)


def _grant(entry: str, letters: str) -> Grant:
    rules: dict[str, FieldRule | None] = {}
    for letter, listed in BRACKETS.findall(letters):
        letter = letter.upper()
        if letter in rules:
            raise ScopeInvalid(f"Scope entry {entry!r} repeats a letter.")
        rules[letter] = parse_rule(entry, letter, listed)
    letters = BRACKETS.sub(lambda match: match.group(1), letters)
    if "[" in letters or "]" in letters:
        raise ScopeInvalid(f"Scope entry {entry!r} has a stray bracket: write R[f1,f2] or W[f1].")
    restricted = _X_METHODS.findall(letters)
    if len(restricted) > 1:
        raise ScopeInvalid(f"Scope entry {entry!r} repeats a letter.")
    methods = _methods(entry, restricted[0]) if restricted else None
    plain = _X_METHODS.sub("X", letters).upper()
    if "(" in plain or ")" in plain:
        raise ScopeInvalid(f"Scope entry {entry!r}: only X takes a method list, as X(m1|m2).")
    return Grant(_canonical_letters(entry, plain), methods, rules.get("R"), rules.get("W"))


def _methods(entry: str, listed: str) -> tuple[str, ...]:
    names = [name.strip() for name in listed.split("|")]
    bad = [name for name in names if not METHOD_NAME.match(name)]
    if bad:
        raise ScopeInvalid(
            f"Scope entry {entry!r} names a bad method {bad[0]!r}: X(m1|m2) takes public method "
            "names (no leading '_')."
        )
    if len(set(names)) != len(names):
        raise ScopeInvalid(f"Scope entry {entry!r} names a method twice.")
    return tuple(sorted(names))


def _canonical_letters(entry: str, letters: str) -> str:
    unknown = sorted(set(letters) - set(LETTERS))
    if unknown:
        raise ScopeInvalid(
            f"Scope entry {entry!r} has unknown letter(s) {''.join(unknown)}; use R, W, D and X."
        )
    if len(set(letters)) != len(letters):
        raise ScopeInvalid(f"Scope entry {entry!r} repeats a letter.")
    return "".join(letter for letter in LETTERS if letter in letters)
