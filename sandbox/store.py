"""One Odoo database: its records, its users' credentials and access, and value conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import clock, mailmodels, seed
from .faults import UserError
from .models import MODELS, X2MANY, Field, default_access

_MANDATORY = (
    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
    "- Delete: another model requires the record being deleted. If possible, archive it instead."
    "\n\nModel: {desc} ({model})\nField: {string} ({field})\n"
)


def now() -> str:
    """Return the current UTC time as Odoo writes datetimes."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def invalid_field(model: str, name: str) -> ValueError:
    """Return Odoo's error for a field name the model does not have."""
    return ValueError(f"Invalid field {name!r} on model {model!r}")


def mandatory(model: str, name: str) -> UserError:
    """Return Odoo's error for a missing required value or a dangling reference."""
    if model == "res.partner" and name == "name":
        return UserError("The operation cannot be completed: Contacts require a name")
    spec = MODELS[model]
    return UserError(_MANDATORY.format(desc=spec.description, model=model,
                                       string=spec.fields[name].string, field=name))


class Database:
    """The records and users of one database; callers hold the double's lock."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tables = seed.seed(name)
        self.passwords = dict(seed.PASSWORDS[name])
        self.api_keys = {login: list(keys) for login, keys in seed.API_KEYS[name].items()}
        self.access: dict[tuple[str, str], str] = {}
        mailmodels.seed_database(self)

    # -- users -------------------------------------------------------------------------------

    def login_of(self, uid: Any) -> str | None:
        """Return the login of a uid, or None if no such user."""
        user = self.tables["res.users"].get(uid) if isinstance(uid, int) else None
        return user["login"] if user else None

    def password_ok(self, login: str | None, password: Any) -> bool:
        """Tell whether a password or API key is valid for a login."""
        if login is None or not isinstance(password, str):
            return False
        return password == self.passwords.get(login) or password in self.api_keys.get(login, [])

    def authenticate(self, login: Any, password: Any) -> int | bool:
        """Return the uid for valid credentials, else False."""
        for uid, user in self.tables["res.users"].items():
            if user["login"] == login and user["active"]:
                return uid if self.password_ok(login, password) else False
        return False

    def allowed(self, uid: int, model: str, letter: str) -> bool:
        """Tell whether a user has one access letter on a model."""
        login = self.login_of(uid)
        if login is None:
            return False
        kind = seed.DEMO_USERS[login]["kind"] if login in seed.DEMO_USERS else "internal"
        return letter in self.access.get((login, model), default_access(kind, model))

    def user_name(self, uid: int) -> str:
        """Return a user's display name for messages."""
        return self.tables["res.users"][uid]["name"]

    # -- values ------------------------------------------------------------------------------

    def display_name(self, model: str, rid: int, context: dict | None = None) -> str | bool:
        """Compute a record's display_name the way Odoo shows it (partners: under the context)."""
        rec = self.tables[model].get(rid)
        if rec is None:
            return False
        if model == "res.partner":
            return _partner_name(self.complete_name(rec), rec, context or {})
        return rec.get("name") or rec.get("login") or f"{model},{rid}"

    def complete_name(self, rec: dict) -> str:
        """A contact's stored ``complete_name``: "<company>, <name>" for a company's person."""
        name = rec.get("name") or ""
        if rec["parent_id"] and not rec["is_company"]:
            parent = self.tables["res.partner"].get(rec["parent_id"])
            if parent:
                return f"{parent['name']}, {name}"
        return name

    def raw(self, model: str, rec: dict, name: str) -> Any:
        """Return a field's internal value, computing the non-stored ones."""
        field = MODELS[model].fields[name]
        if name == "display_name":
            return self.display_name(model, rec["id"])
        if name == "complete_name" and model == "res.partner":
            return self.complete_name(rec)
        if field.type == "one2many":
            inverse = field.relation_field
            return [r["id"] for r in self.tables[field.relation].values()
                    if r.get(inverse) == rec["id"]]
        return rec.get(name, False)

    def export(self, model: str, rec: dict, name: str, context: dict | None = None) -> Any:
        """Return a field's value as Odoo's read marshals it (display names under ``context``)."""
        field = MODELS[model].fields[name]
        value = self.raw(model, rec, name)
        if name == "display_name":
            value = self.display_name(model, rec["id"], context)
        if field.type == "many2one":
            target = self.display_name(field.relation, value, context) if value else False
            return [value, target] if target is not False else False
        if field.type in X2MANY:
            return list(value)
        if value is None or (value == "" and field.type != "boolean"):
            return False
        return clock.shown(value) if field.type == "datetime" else value

    def convert(self, model: str, vals: Any, rid: int | None) -> tuple[dict, list]:
        """Check and convert write values; return stored values and deferred x2many commands."""
        if not isinstance(vals, dict):
            raise ValueError(f"Invalid values {vals!r} for model {model!r}")
        spec, stored, x2many = MODELS[model], {}, []
        for name, value in vals.items():
            field = spec.fields.get(name)
            if field is None:
                raise invalid_field(model, name)
            if name in ("id", "display_name", "create_date", "write_date", "complete_name"):
                continue  # magic fields: Odoo silently ignores them in values
            if field.type in X2MANY:
                x2many.append((field, value))
            else:
                stored[name] = self._scalar(model, field, value)
        return stored, x2many

    def _scalar(self, model: str, field: Field, value: Any) -> Any:
        """Check one non-x2many value against its field type."""
        if value is None or value is False:
            return False
        kind = field.type
        if kind == "selection" and value not in {key for key, _label in field.selection or ()}:
            raise ValueError(f"Wrong value for {model}.{field.name}: {value!r}")
        if kind == "many2one":
            target = value[0] if isinstance(value, (list, tuple)) and value else value
            if not isinstance(target, int) or target not in self.tables[field.relation]:
                raise mandatory(model, field.name)
            return target
        if kind == "boolean":
            return bool(value)
        if kind == "integer" and not isinstance(value, int):
            raise ValueError(f'invalid input syntax for type integer: "{value}"')
        if kind in ("float", "monetary"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f'invalid input syntax for type double precision: "{value}"')
            return float(value)
        return value if kind not in ("char", "text", "html") else str(value)

    def apply_x2many(self, model: str, rid: int, field: Field, commands: Any, uid: int) -> None:
        """Apply Odoo's x2many commands (or a plain id list) to one record."""
        if not isinstance(commands, (list, tuple)):
            raise ValueError(f"Wrong value for {model}.{field.name}: {commands!r}")
        current = list(self.raw(model, self.tables[model][rid], field.name))
        if all(isinstance(c, int) for c in commands):
            commands = [[6, 0, list(commands)]]
        for command in commands:
            current = self._command(model, rid, field, list(command), current, uid)
        self._check_ids(model, field, current)
        if field.type == "many2many":
            self.tables[model][rid][field.name] = current
            return
        inverse, table = field.relation_field, self.tables[field.relation]
        for rec in table.values():
            if rec.get(inverse) == rid and rec["id"] not in current:
                rec[inverse] = False
            elif rec["id"] in current:
                rec[inverse] = rid

    def _command(self, model: str, rid: int, field: Field, command: list, current: list,
                 uid: int) -> list:
        """Apply one x2many command to the list of linked ids and return the new list."""
        code = command[0] if command else None
        arg = command[1] if len(command) > 1 else None
        if code == 0:
            extra = {field.relation_field: rid} if field.type == "one2many" else {}
            return [*current, self.create(field.relation, {**command[2], **extra}, uid)]
        if code == 1:
            self.write(field.relation, [arg], command[2], uid)
            return current
        if code in (2, 3):
            if code == 2:
                self.tables[field.relation].pop(arg, None)
            return [i for i in current if i != arg]
        if code == 4:
            return current if arg in current else [*current, arg]
        if code == 5:
            return []
        if code == 6:
            return list(command[2])
        raise ValueError(f"Wrong value for {model}.{field.name}: {command!r}")

    def _check_ids(self, model: str, field: Field, ids: list) -> None:
        """Refuse links to records that do not exist, like a foreign key would."""
        table = self.tables[field.relation]
        if any(not isinstance(i, int) or i not in table for i in ids):
            raise mandatory(model, field.name)

    # -- writes ------------------------------------------------------------------------------

    def create(self, model: str, vals: Any, uid: int, context: dict | None = None) -> int:
        """Create one record and return its id; ``default_<field>`` keys of the context apply too."""
        defaults = {**seed.defaults(model), **dynamic_defaults(model), **context_defaults(model, context)}
        stored, x2many = self.convert(model, {**defaults, **(vals or {})}, None)
        table = self.tables[model]
        rid = max(table, default=0) + 1
        record = seed.blank(model)
        record.update(stored, id=rid, create_date=clock.stamp(), write_date=clock.stamp())
        if model == "sale.order" and record["name"] == "New":
            record["name"] = f"S{rid:05d}"
        self._require(model, record)
        table[rid] = record
        for field, commands in x2many:  # (Odoo 18 gives x2many lines no context defaults)
            self.apply_x2many(model, rid, field, commands, uid)
        return rid

    def write(self, model: str, ids: list[int], vals: Any, uid: int) -> None:
        """Write the same values on existing records."""
        stored, x2many = self.convert(model, vals, None)
        for rid in ids:
            record = self.tables[model][rid]
            self._require(model, {**record, **stored})
            record.update(stored, write_date=clock.stamp())
            for field, commands in x2many:
                self.apply_x2many(model, rid, field, commands, uid)

    def _require(self, model: str, record: dict) -> None:
        """Refuse a record whose required fields are empty."""
        for field in MODELS[model].fields.values():
            if field.required and record.get(field.name) in (False, None, ""):
                raise mandatory(model, field.name)


def context_defaults(model: str, context: dict | None) -> dict:
    """The context's ``default_<field>`` values for the fields ``model`` has (Odoo applies them to
    the records a call creates; on Odoo 18, not to x2many lines created with them)."""
    fields = MODELS[model].fields
    return {key[8:]: value for key, value in (context or {}).items()
            if key.startswith("default_") and key[8:] in fields}


def _partner_name(name: str, rec: dict, context: dict) -> str:
    """res.partner's display name: the complete name, and what the context asks to show with it."""
    if context.get("show_address"):
        address = "\n".join(part for part in (rec.get("street"), rec.get("city")) if part)
        name = f"{name}\n{address}"
    if context.get("partner_show_db_id"):
        name = f"{name} ({rec['id']})"
    if context.get("address_inline"):
        name = ", ".join(line for line in name.split("\n") if line.strip())
    if context.get("show_email") and rec.get("email"):
        name = f"{name} <{rec['email']}>"
    if context.get("show_vat") and rec.get("vat"):
        name = f"{name} \u2012 {rec['vat']}"
    return name.strip()


def dynamic_defaults(model: str) -> dict:
    """Return the defaults Odoo computes at creation time (current date, current company)."""
    if model == "sale.order":
        return {"date_order": now(), "company_id": 1}
    return {}
