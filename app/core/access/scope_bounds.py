"""Comparing scopes: is one never wider than another, and the same scope cut down to some letters.

``within(inner, outer)`` holds when, for every model name, whatever ``inner`` grants ``outer``
grants too. Scopes decide by the most specific entry, so the grant is constant between the
patterns: checking one model per pattern of either scope (the exact names, a name under each
prefix that no longer pattern matches, and a name no pattern matches) covers every model.
``grant_within`` compares two grants; it is the one place to extend when grants carry more
than letters and methods.
"""

from __future__ import annotations

from app.core.access.fieldrules import rule_within
from app.core.access.scopes import LETTERS, Grant, Scope

# Not a character of model names: a probe under a prefix matches no longer pattern nor exact name.
_PROBE = "~"


def grant_within(inner: Grant, outer: Grant) -> bool:
    """Whether ``outer`` grants everything ``inner`` grants."""
    if not set(inner.letters) <= set(outer.letters):
        return False
    if "R" in inner.letters and not rule_within(inner.read, outer.read):
        return False  # field rules: inner may read only fields outer lets it read
    if "W" in inner.letters and not rule_within(inner.write, outer.write):
        return False
    if "X" in inner.letters and outer.methods is not None:
        return inner.methods is not None and set(inner.methods) <= set(outer.methods)
    return True


def probes(*scopes: Scope) -> list[str]:
    """One model name for each region in which every scope's grant is constant."""
    names = {_PROBE}
    for scope in scopes:
        names.update(scope.exact)
        names.update(prefix + _PROBE for prefix, _ in scope.prefixes)
    return sorted(names)


def within(inner: Scope, outer: Scope) -> bool:
    """Whether ``inner`` never grants more than ``outer`` on any model."""
    return all(grant_within(inner.grant_for(name), outer.grant_for(name)) for name in probes(inner, outer))


def restricted(scope: Scope, letters: str) -> Scope:
    """``scope`` with every entry cut down to ``letters`` (an entry left empty denies)."""
    entries = [(name, grant) for name, grant in scope.exact.items()]
    entries += [(prefix + "*", grant) for prefix, grant in scope.prefixes]
    if scope.default is not None:
        entries.append(("*", scope.default))
    parts = [f"{name}:{_cut(grant, letters)}" for name, grant in entries]
    return Scope.parse(",".join(parts)) if parts else scope


def _cut(grant: Grant, letters: str) -> str:
    kept = "".join(letter for letter in LETTERS if letter in grant.letters and letter in letters)
    return str(Grant(kept, grant.methods if "X" in kept else None,  # field rules stay with their letter
                     grant.read if "R" in kept else None, grant.write if "W" in kept else None))
