"""Field-level scopes, enforced before Odoo runs a tool: what each tool declares, and the checks.

A tool tells which of its arguments carry field names, domains, orders or values through
``Tool.fields`` (a ``FieldArgs``); a key whose scope has field rules (``R[...]``, ``W[...]``) may
run only tools that declare it, and only with arguments whose every field the rules allow.
Keys without field rules skip all of this (their scopes keep their old meaning).

Dotted paths (``parent_id.email``) and ``any`` sub-domains follow relations, found by
``fields_get`` (one call per model per login, cached): each step obeys its own model's rules.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

from app.base.errors import InvalidRequest, PermissionDenied
from app.core.access.scopes import Scope

Describe = Callable[[str], dict[str, dict]]  # model -> {field name: {"type", "relation"}}
_MEASURE = re.compile(r"^(\w+)(?::\w+(?:\((\w+)\))?)?$")
_SPECIAL = frozenset({"__count", "id"})
LEAN_SKIPPED = frozenset({"binary", "html", "one2many", "many2many"})
RELATIONAL = frozenset({"many2one", "one2many", "many2many"})
# Context keys a key with field rules may send: they change no field's visibility. Others may
# (``show_email`` puts a hidden email into display names, ``default_ref`` writes a hidden field).
SAFE_CONTEXT = frozenset({"lang", "tz", "active_test", "allowed_company_ids"})
WIZARD_CONTEXT = frozenset({"active_model", "active_ids", "active_id"})  # where a method is granted
_NAME_SEARCH_HINT = ("Odoo answers it with a name search, which may match hidden fields (a "
                     "contact's reference, VAT number or email): filter by ids or by allowed "
                     "fields instead (e.g. [\"parent_id.name\", \"ilike\", ...] or "
                     "[\"parent_id\", \"in\", [ids]]).")


@dataclass(frozen=True)
class FieldArgs:
    """Which arguments of a tool carry fields; each entry names a top-level argument."""

    names: tuple[str, ...] = ()  # field names read: a list or one name; omitted -> the readable ones
    filters: tuple[str, ...] = ()  # field names matched on (an upsert's keys): a list or one name
    measures: tuple[str, ...] = ()  # read_group aggregates: 'f', 'f:agg', 'alias:agg(f)'
    groupby: tuple[str, ...] = ()  # 'f' or 'date_f:month'
    domains: tuple[str, ...] = ()  # domains filtering the tool's model
    orders: tuple[str, ...] = ()  # 'f1 asc, f2 desc'; omitted under read rules -> 'id'
    values: tuple[str, ...] = ()  # values written: an object or a list of objects
    texts: tuple[str, ...] = ()  # free text Odoo matches against name fields (name_search)
    answer: tuple[str, ...] = ()  # answer keys holding records or {field: ...} objects to filter
    method: str | None = None  # argument naming a method the tool runs (call, wizards)
    uses: tuple[str, ...] = ()  # fields the tool itself reads or filters on (a feed's write_date)
    opaque: bool = False  # the answer may show any field (chatter tracking): refused under R rules
    lean: bool = False  # over MCP, omitted ``names`` become the lean default


class FieldCatalog:
    """``fields_get`` answers (type and relation of each field), cached per login and model."""

    def __init__(self, ttl_seconds: float, maxsize: int = 4096) -> None:
        self._cache: TTLCache[tuple, dict] = TTLCache(maxsize=maxsize, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def get(self, key: tuple, fetch: Callable[[], dict]) -> dict:
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = {name: {"type": info.get("type"), "relation": info.get("relation")}
                     for name, info in fetch().items()}  # no lock across the network call
            with self._lock:
                self._cache[key] = found
        return found


def check_key_context(scope: Scope, context: dict | None) -> None:
    """At minting: a key with field rules may carry only the context keys that show no field.

    A key's context goes with every call (``default_<field>`` would write that field on every
    record any call creates, ``show_vat`` would show VAT numbers in every display name), so the
    call-time allow-list holds for it too, without defaults or active records."""
    if not scope.field_restricted:
        return
    unsafe = sorted(key for key in context or {} if key not in SAFE_CONTEXT)
    if unsafe:
        raise InvalidRequest(
            f"A key whose scope has field rules may carry only the context keys "
            f"{', '.join(sorted(SAFE_CONTEXT))}: {', '.join(map(repr, unsafe))} could show or write "
            "hidden fields (docs/scopes.md). Send defaults in a call's context instead.")


def denied(message: str) -> PermissionDenied:
    return PermissionDenied(message + " Mint a key whose scope allows it (docs/scopes.md).")


class FieldGuard:
    """Checks one tool call's arguments against a scope's field rules, and filters its answer."""

    def __init__(self, rules: Scope, describe: Describe) -> None:
        self.rules = rules
        self.describe = describe

    # -- the arguments -----------------------------------------------------------------------

    def prepare(self, tool: Any, args: dict, lean: bool) -> dict:
        """``args`` with omitted field lists filled in; PermissionDenied naming a hidden field."""
        spec: FieldArgs | None = tool.fields
        model, args = args["model"], {**args}
        if self.rules.field_restricted:
            self._check(tool, spec, model, args)
            self._defaults(spec, model, args)
        for name in spec.names if spec else ():
            if args.get(name) is None:
                filled = self.readable_names(model, lean and spec.lean)
                if filled is not None:
                    args[name] = filled or ["id"]  # never []: Odoo reads every field for []
        return args

    def _defaults(self, spec: FieldArgs, model: str, args: dict) -> None:
        """Odoo's defaults that could reveal hidden fields, replaced by safe ones."""
        if self.rules.grant_for(model).read is not None and not spec.groupby:
            for name in spec.orders:  # (groups sort by their groupby instead)
                # A model's default order may sort on a hidden field (sale.order: date_order desc).
                args[name] = args.get(name) or "id"
        if spec.measures and not any(args.get(name) for name in spec.measures):
            # Odoo up to 16 aggregates every stored field when none is named: name the count only.
            args[spec.measures[0]] = ["__count"]

    def _check(self, tool: Any, spec: FieldArgs | None, model: str, args: dict) -> None:
        if spec is None:
            raise denied(f"The tool {tool.name!r} does not declare the fields it touches, so a key "
                         "with field rules cannot run it.")
        if spec.method:
            self._method(tool, args, model)
        written = {model} if spec.values else set()
        if spec.opaque and self.rules.grant_for(model).read is not None:
            raise denied(f"This API key's scope ({self.rules}) hides fields of {model!r}, and the "
                         f"tool {tool.name!r} may show any of them.")
        for field in spec.uses:
            self.path(model, field, f"needs (the tool {tool.name!r} works with it)")
        for name in spec.names:
            given = args.get(name)
            for field in [given] if isinstance(given, str) else given or ():
                self.path(model, field, "reads")
        for name in spec.filters:
            given = args.get(name)
            for field in [given] if isinstance(given, str) else given or ():
                self.path(model, field, "matches on")
        for name in spec.measures:
            for measure in args.get(name) or ():
                self.path(model, _measured(measure), "aggregates")
        for name in spec.groupby:
            for group in args.get(name) or ():
                self.path(model, group.split(":")[0], "groups by")
        for name in spec.domains:
            self.domain(model, args.get(name) or [])
        for name in spec.orders:
            for term in (args.get(name) or "").split(","):
                if term.strip():
                    self.path(model, term.split()[0], "sorts on")
        for name in spec.values:
            given = args.get(name)
            for values in given if isinstance(given, list) else [given] if given else []:
                self.values(model, values, written)
        for name in spec.texts:
            self._text(model, args.get(name))
        self.context(args.get("context") or {}, written, bool(spec.method))
        for name in spec.domains:  # last: finding a field's type may ask Odoo (fields_get)
            self.name_searches(model, args.get(name) or [])

    def readable_names(self, model: str, lean: bool = False) -> list[str] | None:
        """The fields an omitted list stands for (None: every field, Odoo's own default)."""
        grant = self.rules.grant_for(model)
        if grant.read is None and not lean:
            return None
        if grant.read is not None and grant.read.exact is not None and not lean:
            return list(grant.read.exact)
        described = self.describe(model)
        return [name for name, info in described.items() if grant.readable(name)
                and not (lean and info.get("type") in LEAN_SKIPPED)]

    def path(self, model: str, path: str, verb: str) -> None:
        """Each step of a dotted ``path`` must be readable on its own model."""
        parts, current = path.split("."), model
        for index, part in enumerate(parts):
            if part not in _SPECIAL and not self.rules.grant_for(current).readable(part):
                raise denied(f"This API key's scope ({self.rules}) hides field {part!r} of "
                             f"{current!r}, which this call {verb} ({path!r}).")
            if index < len(parts) - 1:
                current = self.relation(current, part, path)

    def relation(self, model: str, field: str, path: str) -> str:
        info = self.describe(model).get(field) or {}
        if not info.get("relation"):
            raise denied(f"Cannot follow {path!r}: {field!r} is not a relational field of {model!r}, "
                         "so its field rules cannot be checked.")
        return info["relation"]

    def domain(self, model: str, domain: Any) -> None:
        """Every leaf's field path, and the sub-domains of ``any``/``not any``."""
        if not isinstance(domain, list | tuple):
            raise InvalidRequest("A sub-domain of 'any' must be a list of terms.")
        for term in domain:
            if isinstance(term, str):
                continue
            if not isinstance(term, list | tuple) or len(term) != 3:
                raise InvalidRequest("A domain leaf is a list [field, operator, value].")
            name, operator, value = term
            if isinstance(name, int):
                continue  # TRUE_LEAF / FALSE_LEAF
            if not isinstance(name, str):
                raise InvalidRequest(f"{name!r} is not a field name.")
            self.path(model, name, "filters on")
            if str(operator).lower() in ("any", "not any"):
                target = model
                for part in name.split("."):
                    target = self.relation(target, part, name)
                self.domain(target, value)

    def name_searches(self, model: str, domain: list) -> None:
        """Every leaf of a domain already checked by ``domain``, and of its ``any`` sub-domains."""
        for term in domain:
            if isinstance(term, str) or isinstance(term[0], int):
                continue
            self._name_searched(model, term)
            if str(term[1]).lower() in ("any", "not any"):
                target = model
                for part in term[0].split("."):
                    target = self.relation(target, part, term[0])
                self.name_searches(target, term[2])

    def _name_searched(self, model: str, leaf: list) -> None:
        """Refuse a leaf that Odoo answers with a name search, whose fields no rule can see.

        A ``display_name`` leaf, text compared with a relational field (``["parent_id", "ilike",
        "X"]``, ``["child_ids", "=", "X"]``) and ``child_of``/``parent_of`` with text run the name
        search of the model (or of the related one), which matches the model's
        ``_rec_names_search`` fields or whatever its ``_name_search`` code reads, related models
        included (res.partner: email, ref, vat, company_registry). So for a key with field rules
        they are refused, whichever model they name."""
        path, operator, value = leaf
        parts, operator = path.split("."), str(operator).lower()
        if parts[-1] == "display_name":
            raise denied(f"This API key's scope ({self.rules}) has field rules, and the filter "
                         f"{_leaf(leaf)} is on 'display_name': {_NAME_SEARCH_HINT}")
        if operator in ("any", "not any") or not _has_text(value):
            return
        if operator in ("child_of", "parent_of"):
            raise denied(f"This API key's scope ({self.rules}) has field rules, and the filter "
                         f"{_leaf(leaf)} uses {operator!r} with text: {_NAME_SEARCH_HINT}")
        owner = model
        for part in parts[:-1]:
            owner = self.relation(owner, part, path)
        info = self.describe(owner).get(parts[-1]) or {}
        if info.get("type") in RELATIONAL:
            raise denied(f"This API key's scope ({self.rules}) has field rules, and the filter "
                         f"{_leaf(leaf)} compares the relational field {parts[-1]!r} with text: "
                         f"{_NAME_SEARCH_HINT}")

    def context(self, context: dict, written: set[str], runs_method: bool,
                source: str = "context key") -> None:
        """A key with field rules sends only context keys that change no field's visibility.

        ``default_<field>`` writes ``<field>`` on every record the call creates: it must pass the
        W rules of each model the call writes. ``active_model``/``active_ids``/``active_id`` are
        what a granted method (a wizard's action) needs."""
        for key in sorted(context):
            if key in SAFE_CONTEXT or (runs_method and key in WIZARD_CONTEXT):
                continue
            if key.startswith("default_") and written:
                field = key[len("default_"):]
                hidden = sorted(m for m in written if not self.rules.grant_for(m).writable(field))
                if not hidden:
                    continue
                raise denied(f"This API key's scope ({self.rules}) does not let it write {field!r} "
                             f"on {', '.join(map(repr, hidden))}, which the {source} {key!r} "
                             "sets on every record the call creates.")
            raise denied(f"This API key's scope ({self.rules}) has field rules, and the {source} "
                         f"{key!r} is not one it may send: context can reveal or write hidden "
                         "fields (show_email, default_<field>). Allowed: "
                         f"{', '.join(sorted(SAFE_CONTEXT))}; default_<field> for a writable field "
                         "on create, write and upsert; active_model, active_ids, active_id with a "
                         "granted method.")

    def values(self, model: str, values: Any, written: set[str] | None = None) -> None:
        """Each written field must be writable; x2many commands 0 and 1 write the related model
        (collected in ``written``)."""
        if not isinstance(values, dict):
            return
        if written is not None:
            written.add(model)
        grant = self.rules.grant_for(model)
        hidden = sorted(name for name in values if not grant.writable(name))
        if hidden:
            raise denied(f"This API key's scope ({self.rules}) does not let it write "
                         f"{', '.join(map(repr, hidden))} on {model!r}.")
        for name, value in values.items():
            commands = [c for c in value if _writes(c)] if isinstance(value, list) else []
            if commands:
                target = self.relation(model, name, name)
                for command in commands:
                    self.values(target, command[2], written)

    def _text(self, model: str, text: Any) -> None:
        grant = self.rules.grant_for(model)
        if grant.read is not None and not grant.readable("display_name"):
            raise denied(f"This API key's scope ({self.rules}) hides 'display_name' of {model!r}, "
                         "which name_search answers with.")
        if text:  # (a model's name search may follow relations into models with rules)
            raise denied(f"This API key's scope ({self.rules}) has field rules: name_search may "
                         "match the text on hidden fields (a contact's email, reference, VAT), "
                         "so only an empty name is allowed; use search_read with a domain on "
                         "allowed fields.")

    def _method(self, tool: Any, args: dict, model: str) -> None:
        letter, method = tool.requires(args)
        if letter != "X":
            raise denied(f"With field rules in its scope ({self.rules}), this key cannot run "
                         f"{method!r} through {tool.name!r}: it reads or writes records the way the "
                         "dedicated tools do (read, search_read, create, write, ...), and only they "
                         "apply the field rules.")
        if self.rules.grant_for(model).methods is None:
            raise denied(f"This API key's scope ({self.rules}) has field rules, and a method can "
                         f"read or write any field: name it explicitly, as '{model}:X({method})'.")

    # -- the answer --------------------------------------------------------------------------

    def filter(self, tool: Any, model: str, answer: dict) -> dict:
        """The answer without fields the rules hide (records, or objects keyed by field)."""
        grant = self.rules.grant_for(model)
        if grant.read is None or tool.fields is None:
            return answer
        shown = {**answer}
        for key in tool.fields.answer:
            content = answer.get(key)
            if isinstance(content, dict):
                shown[key] = _visible(content, grant.readable)
                if "count" in answer:
                    shown["count"] = len(shown[key])
            elif isinstance(content, list):
                shown[key] = [_visible(item, grant.readable) if isinstance(item, dict) else item
                              for item in content]
        return shown


def _has_text(value: Any) -> bool:
    """Whether a leaf's value holds text (which Odoo turns into a name search on relations)."""
    if isinstance(value, str):
        return True
    return isinstance(value, list | tuple) and any(isinstance(item, str) for item in value)


def _leaf(leaf: list) -> str:
    """The leaf as the caller wrote it, its value left out (it was the caller's own text)."""
    return f"[{json.dumps(leaf[0])}, {json.dumps(str(leaf[1]))}, ...]"


def _visible(record: dict, readable: Callable[[str], bool]) -> dict:
    return {name: value for name, value in record.items() if readable(name)}


def _measured(measure: str) -> str:
    """The field a read_group aggregate reads: 'f', 'f:sum' -> f; 'a:sum(f)' -> f."""
    match = _MEASURE.match(measure)
    if not match:
        return measure
    return match.group(2) or match.group(1)


def _writes(command: Any) -> bool:
    """An x2many command that carries values: (0, _, values) creates, (1, id, values) updates."""
    return (isinstance(command, list | tuple) and len(command) == 3 and command[0] in (0, 1)
            and not isinstance(command[0], bool) and isinstance(command[2], dict))
