"""Scope: which permission letters an API key grants on which Odoo models.

Grammar (CONTRACT.md section 3)::

    scope   := entry ("," entry)*
    entry   := pattern ":" letters
    pattern := MODEL | PREFIX ".*" | "*"
    letters := any of R, W, D (case-insensitive, each at most once; empty denies)

The most specific entry alone decides: the exact model name, then the longest matching prefix
pattern, then ``*``; when nothing matches, everything is denied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import ScopeInvalid

LETTERS = "RWD"
MODEL_NAME = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
_PREFIX = re.compile(r"^([a-z0-9_]+(?:\.[a-z0-9_]+)*)\.\*$")


@dataclass(frozen=True)
class Scope:
    """A parsed, immutable scope; ``str(scope)`` is its canonical form."""

    exact: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]  # (prefix with trailing dot, letters), longest first
    default: str | None  # letters of "*", or None when no "*" entry

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse ``text`` or raise ScopeInvalid naming the bad entry."""
        if not isinstance(text, str) or not text.strip():
            raise ScopeInvalid("The scope is empty: use entries like 'res.partner:RW,*:R'.")
        exact: dict[str, str] = {}
        prefixes: dict[str, str] = {}
        default: str | None = None
        for raw in text.split(","):
            pattern, letters = _parse_entry(raw)
            if pattern in exact or pattern in prefixes or (pattern == "*" and default is not None):
                raise ScopeInvalid(f"Scope entry {raw.strip()!r} names {pattern!r} twice.")
            if pattern == "*":
                default = letters
            elif pattern.endswith(".*"):
                prefixes[pattern] = letters
            else:
                exact[pattern] = letters
        ordered = sorted(((p[:-1], v) for p, v in prefixes.items()), key=lambda i: (-len(i[0]), i[0]))
        return cls(exact=dict(sorted(exact.items())), prefixes=tuple(ordered), default=default)

    def letters_for(self, model: str) -> str:
        """The letters granted on ``model`` by its most specific entry ('' when denied)."""
        if model in self.exact:
            return self.exact[model]
        for prefix, letters in self.prefixes:
            if model.startswith(prefix):
                return letters
        return self.default or ""

    def allows(self, model: str, letter: str) -> bool:
        """Whether ``letter`` is granted on ``model``."""
        return letter in self.letters_for(model)

    def __str__(self) -> str:
        parts = [f"{name}:{letters}" for name, letters in self.exact.items()]
        parts += [f"{prefix}*:{letters}" for prefix, letters in self.prefixes]
        if self.default is not None:
            parts.append(f"*:{self.default}")
        return ",".join(parts)

    def __hash__(self) -> int:
        return hash(str(self))


def _parse_entry(raw: str) -> tuple[str, str]:
    entry = raw.strip()
    if ":" not in entry:
        raise ScopeInvalid(f"Scope entry {entry!r} has no ':'; write it as MODEL:LETTERS.")
    pattern, _, letters = (part.strip() for part in entry.partition(":"))
    if not (pattern == "*" or MODEL_NAME.match(pattern) or _PREFIX.match(pattern)):
        raise ScopeInvalid(
            f"Scope entry {entry!r} has a bad model name; use 'res.partner', 'sale.*' or '*'."
        )
    return pattern, _canonical_letters(entry, letters.upper())


def _canonical_letters(entry: str, letters: str) -> str:
    unknown = sorted(set(letters) - set(LETTERS))
    if unknown:
        raise ScopeInvalid(
            f"Scope entry {entry!r} has unknown letter(s) {''.join(unknown)}; use R, W and D."
        )
    if len(set(letters)) != len(letters):
        raise ScopeInvalid(f"Scope entry {entry!r} repeats a letter.")
    return "".join(letter for letter in LETTERS if letter in letters)
