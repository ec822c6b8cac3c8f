"""The public model methods reachable through execute_kw, with Odoo's exact signatures."""

from __future__ import annotations

from typing import Any

from . import clock, seed
from . import domain as dom
from .faults import AccessError, UserError
from .imports import ImportMixin, drop_xids
from .models import MODELS, RELATIONAL, X2MANY, Model
from .store import Database, context_defaults, dynamic_defaults, invalid_field

COMMON_METHODS = (
    "search", "search_read", "read", "search_count", "fields_get", "default_get", "create",
    "write", "unlink", "name_search", "read_group", "load",
)
# The access letter each method needs; methods not listed need none.
NEEDS = {
    "search": "r", "search_read": "r", "read": "r", "search_count": "r", "name_search": "r",
    "read_group": "r", "create": "c", "copy": "c", "write": "w", "unlink": "u",
    "action_confirm": "w", "action_cancel": "w", "action_lock": "w", "action_unlock": "w",
}
_VERBS = {"c": "create", "w": "modify", "u": "delete"}
_READ_DENIED = (
    "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n"
    "Sorry, {user} (id={uid}) doesn't have 'read' access to:\n- {desc} ({model})\n\n"
    "If you really, really need access, perhaps you can win over your friendly administrator "
    "with a batch of freshly baked cookies."
)
_DENIED = (
    "You are not allowed to {verb} '{desc}' ({model}) records.\n\n"
    "This operation is allowed for the following groups:\n\t- Administration/Settings\n\n"
    "Contact your administrator to request access if necessary."
)


def access_error(db: Database, uid: int, model: str, letter: str) -> AccessError:
    """Return Odoo's access error for a denied operation."""
    desc = MODELS[model].description
    if letter == "r":
        text = _READ_DENIED.format(user=db.user_name(uid), uid=uid, desc=desc, model=model)
    else:
        text = _DENIED.format(verb=_VERBS[letter], desc=desc, model=model)
    return AccessError(text)


def _rec_names(model: str) -> list[str]:
    """The ``_rec_names_search`` fields the model has (none: its display name is compared)."""
    return [name for name in MODELS[model].rec_names if name in MODELS[model].fields]


def _as_ids(ids: Any) -> list[int]:
    """Accept one id or a list of ids, as browse() does."""
    if isinstance(ids, bool) or ids is None:
        return []
    items = ids if isinstance(ids, (list, tuple)) else [ids]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise ValueError(f"Invalid ids {ids!r}")
    return list(items)


class BaseModel(ImportMixin):
    """One model seen by one user of one database, for the length of one call."""

    def __init__(self, db: Database, model: str, uid: int, context: dict) -> None:
        self.db = db
        self.spec: Model = MODELS[model]
        self.name = model
        self.uid = uid
        self.context = context

    @property
    def table(self) -> dict[int, dict]:
        """The stored records of this model."""
        return self.db.tables[self.name]

    # -- searching ---------------------------------------------------------------------------

    def _check_leaf(self, path: str, op: str, value: Any, leaf: Any) -> None:
        """Refuse leaves whose field path does not exist."""
        model = self.name
        for part in path.split("."):
            field = MODELS[model].fields.get(part) if model else None
            if field is None:
                raise ValueError(f"Invalid field {model}.{part} in leaf {dom.leaf_repr(leaf)}")
            model = field.relation

    def _values(self, model: str, ids: list[int], path: list[str]) -> tuple[list, Any]:
        """Follow a dotted path from records and return the reached values and last field."""
        field = MODELS[model].fields[path[0]]
        values: list = []
        for rid in ids:
            rec = self.db.tables[model].get(rid)
            value = self.db.raw(model, rec, path[0]) if rec else False
            values.extend(value if isinstance(value, list) else [value])
        if len(path) > 1 and field.relation:
            return self._values(field.relation, [v for v in values if v], path[1:])
        return values, field

    def _family(self, model: str, ids: Any, down: bool) -> set[int]:
        """Return ids with their descendants (child_of) or ancestors (parent_of).

        Text stands for the records its name search finds (Odoo's ``to_ids``)."""
        items = ids if isinstance(ids, (list, tuple)) else [ids]
        if any(isinstance(item, str) for item in items):
            ids = [rid for item in items for rid in (
                self._name_ids(model, "ilike", item) if isinstance(item, str) else [item])]
        found, todo = set(), _as_ids(ids)
        table = self.db.tables[model]
        while todo:
            rid = todo.pop()
            if rid in found or rid not in table:
                continue
            found.add(rid)
            if down:
                todo += [r["id"] for r in table.values() if r.get("parent_id") == rid]
            elif table[rid].get("parent_id"):
                todo.append(table[rid]["parent_id"])
        return found

    def _name_domain(self, model: str, op: str, value: Any) -> list:
        """Odoo's ``_search_display_name``: the leaf on each of the model's ``_rec_names_search``
        fields, OR-ed (AND-ed for a negative operator)."""
        names = _rec_names(model) or ["display_name"]  # (compared as it is shown)
        joiner = "&" if op.startswith("not ") or op == "!=" else "|"
        return [*[joiner] * (len(names) - 1), *[[name, op, value] for name in names]]

    def _name_ids(self, model: str, op: str, value: Any) -> set[int]:
        """The ids of ``model`` whose name search matches ``value`` (active records only)."""
        other = BaseModel(self.db, model, self.uid, self.context)
        return {rec["id"] for rec in other._filter(self._name_domain(model, op, value))}

    def _test(self, rec: dict, path: str, op: str, value: Any) -> bool:
        """Test one leaf against one record."""
        parts = path.split(".")
        values, field = self._values(self.name, [rec["id"]], parts)
        target = field.relation if field.relation else self.name
        if op in ("child_of", "parent_of"):
            family = self._family(target, value, op == "child_of")
            return any(v in family for v in values)
        if op in ("any", "not any"):  # Odoo 17+: a sub-domain on the related records
            if not field.relation:
                raise ValueError(f"Invalid leaf {(path, op, value)!r}: {path} is not relational")
            matched = {r["id"] for r in BaseModel(self.db, target, self.uid, self.context)._filter(value)}
            return any(v in matched for v in values) == (op == "any")
        owner = self._owner(parts)
        if field.name == "display_name" and _rec_names(owner):  # Odoo runs the name search
            ids = self._values(self.name, [rec["id"]], parts[:-1])[0] if len(parts) > 1 else [rec["id"]]
            matched = self._name_ids(owner, op, value)
            return any(rid in matched for rid in ids if rid)
        names = [value] if isinstance(value, str) else value
        if field.type in RELATIONAL and isinstance(names, (list, tuple)) and any(
                isinstance(n, str) for n in names):
            # Odoo name-searches relational fields compared with text, then matches the ids.
            negative = op.startswith("not ") or op == "!="
            positive = op.removeprefix("not ") if op.startswith("not ") else "=" if op == "!=" else op
            matched = self._name_ids(target, positive, value)
            hit = any(v in matched for v in values if v)
            return not hit if negative else hit
        if field.type == "boolean":
            return dom.matches([bool(v) for v in values], op, value)
        if field.type == "datetime":
            value = clock.domain_value(value, op)
        return dom.matches([v for v in values if v is not False], op, value)

    def _owner(self, parts: list[str]) -> str:
        """The model the last step of a dotted path belongs to."""
        model = self.name
        for part in parts[:-1]:
            model = MODELS[model].fields[part].relation
        return model

    def _filter(self, domain: Any) -> list[dict]:
        """Return the records matching a domain, honouring active_test."""
        tree = dom.parse(domain if domain is not None else [], self._check_leaf)
        mentions_active = any(
            isinstance(t, (list, tuple)) and len(t) == 3 and t[0] == "active" for t in domain or [])
        hide_inactive = ("active" in self.spec.fields and not mentions_active
                         and self.context.get("active_test", True) is not False)
        return [rec for rec in self.table.values()
                if not (hide_inactive and not rec["active"])
                and dom.evaluate(tree, lambda f, o, v, r=rec: self._test(r, f, o, v))]

    def _sort(self, records: list[dict], order: Any) -> list[dict]:
        """Sort records by an Odoo order string such as 'name asc, id desc'."""
        spec = order or self.spec.order
        if not isinstance(spec, str):
            raise ValueError(f"Invalid order {order!r}")
        keys = []
        for term in (t.split() for t in spec.split(",")):
            if not term or len(term) > 2 or (len(term) == 2 and term[1].lower() not in (
                    "asc", "desc")):
                raise ValueError(f"Invalid order {spec!r} for model {self.name}")
            if term[0] not in self.spec.fields or self.spec.fields[term[0]].type in X2MANY:
                raise invalid_field(self.name, term[0])
            keys.append((term[0], len(term) == 2 and term[1].lower() == "desc"))
        for name, desc in reversed(keys):
            records = sorted(records, key=lambda r, n=name: self._sort_key(r, n), reverse=desc)
        return records

    def _sort_key(self, rec: dict, name: str) -> tuple:
        """Sort unset values last, like PostgreSQL does for ascending order."""
        field = self.spec.fields[name]
        value = self.db.raw(self.name, rec, name)
        if field.type == "many2one" and value:
            value = self.db.display_name(field.relation, value)
        if field.type == "boolean":
            return (False, bool(value))
        if value is False or value is None:
            return (True, "")
        return (False, value.casefold() if isinstance(value, str) else value)

    def _search(self, domain: Any, offset: Any = 0, limit: Any = None, order: Any = None):
        """Filter, sort and slice; the shared core of search and search_read."""
        records = self._sort(self._filter(domain), order)
        start = offset or 0
        return records[start:start + limit] if limit else records[start:]

    def _fields(self, fields: Any) -> list[str]:
        """Check a list of field names; empty means all fields."""
        names = list(fields or self.spec.fields)
        for name in names:
            if name not in self.spec.fields:
                raise invalid_field(self.name, name)
        return names

    def _read(self, records: list[dict], fields: Any) -> list[dict]:
        """Export records to dicts with id and the requested fields."""
        names = self._fields(fields)
        return [{"id": rec["id"], **{n: self.db.export(self.name, rec, n, self.context) for n in names}}
                for rec in records]

    def _existing(self, ids: Any) -> list[int]:
        """Return ids after checking they all exist, else Odoo's MissingError."""
        ids = _as_ids(ids)
        missing = [i for i in ids if i not in self.table]
        if missing:
            raise UserError("Record does not exist or has been deleted.\n"
                            f"(Record: {self.name}{tuple(missing)!r}, User: {self.uid})")
        return ids

    # -- public methods ------------------------------------------------------------------------

    def search(self, domain, offset=0, limit=None, order=None):
        """Return the ids of matching records."""
        return [rec["id"] for rec in self._search(domain, offset, limit, order)]

    def search_read(self, domain=None, fields=None, offset=0, limit=None, order=None):
        """Return matching records as dicts."""
        self._fields(fields)
        return self._read(self._search(domain, offset, limit, order), fields)

    def read(self, ids, fields=None):
        """Return existing records among ids, in the order asked."""
        return self._read([self.table[i] for i in _as_ids(ids) if i in self.table], fields)

    def search_count(self, domain, limit=None):
        """Return how many records match."""
        count = len(self._filter(domain))
        return min(count, limit) if limit else count

    def fields_get(self, allfields=None, attributes=None):
        """Describe fields, optionally only some fields and some attributes."""
        described = {}
        for name, field in self.spec.fields.items():
            if allfields and name not in allfields:
                continue
            attrs = field.describe()
            described[name] = {k: v for k, v in attrs.items() if not attributes or k in attributes}
        return described

    def default_get(self, fields):
        """Return the defaults of the requested fields that have one (Odoo 18 named it fields_list)."""
        defaults = {**seed.defaults(self.name), **dynamic_defaults(self.name),
                    **context_defaults(self.name, self.context)}
        return {name: defaults[name] for name in fields if name in defaults}

    def create(self, vals_list):
        """Create one record (dict -> id) or several (list -> ids)."""
        if isinstance(vals_list, dict):
            return self.db.create(self.name, vals_list, self.uid, self.context)
        return [self.db.create(self.name, vals, self.uid, self.context) for vals in vals_list]

    def write(self, ids, vals):
        """Write values on existing records."""
        self.db.write(self.name, self._existing(ids), vals, self.uid)
        return True

    def unlink(self, ids):
        """Delete existing records."""
        ids = self._existing(ids)
        for rid in ids:
            del self.table[rid]
        drop_xids(self.db, self.name, ids)
        return True

    def name_search(self, name="", domain=None, operator="ilike", limit=100):
        """Return [id, display_name] pairs whose display name matches."""
        dom.parse(domain or [], self._check_leaf)
        terms = [("display_name", operator, name)] if name else []
        records = self._search([*terms, *(domain or [])], 0, limit, None)
        return [[rec["id"], self.db.display_name(self.name, rec["id"], self.context)] for rec in records]

    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False,
                   lazy=True):
        """Group matching records; see sandbox.grouping for the result shape."""
        from .grouping import read_group

        return read_group(self, domain, fields, groupby, offset, limit, orderby, lazy)

    def copy(self, ids, default=None):
        """Duplicate records with ' (copy)' appended to the name."""
        new_ids = []
        for rid in self._existing(ids):
            rec = self.table[rid]
            vals = {n: rec[n] for n, f in self.spec.fields.items()
                    if f.store and f.type not in X2MANY and n not in ("id",)}
            vals["name"] = f"{rec['name']} (copy)"
            new_ids.append(self.db.create(self.name, {**vals, **(default or {})}, self.uid))
        return new_ids[0] if len(new_ids) == 1 else new_ids

    def action_confirm(self, ids):
        """Confirm quotations into sales orders."""
        ids = self._existing(ids)
        if any(self.table[rid]["state"] not in ("draft", "sent") for rid in ids):
            raise UserError("Some orders are not in a state requiring confirmation.")
        self.db.write(self.name, ids, {"state": "sale"}, self.uid)
        return True

    def action_cancel(self, ids):
        """Cancel orders."""
        self.db.write(self.name, self._existing(ids), {"state": "cancel"}, self.uid)
        return True

    def action_lock(self, ids):
        """Lock orders; like Odoo, returns None (which XML-RPC cannot marshal)."""
        self.db.write(self.name, self._existing(ids), {"locked": True}, self.uid)

    def action_unlock(self, ids):
        """Unlock orders; returns None."""
        self.db.write(self.name, self._existing(ids), {"locked": False}, self.uid)

    def address_get(self, ids, adr_pref=None):
        """Map address types to the first matching contact of each partner (or itself)."""
        found = {}
        for kind in adr_pref or ["contact"]:
            for rid in self._existing(ids):
                kids = [r["id"] for r in self.table.values()
                        if r.get("parent_id") == rid and r["type"] == kind]
                found.setdefault(kind, kids[0] if kids else rid)
        return found

    def context_get(self):
        """The user's context: lang, tz and uid (Odoo 19 adds uid; JSON-2 clients rely on it)."""
        partner = self.db.tables["res.partner"].get(self.db.tables["res.users"][self.uid]["partner_id"])
        return {"lang": (partner or {}).get("lang") or "en_US", "tz": (partner or {}).get("tz") or False,
                "uid": self.uid}
