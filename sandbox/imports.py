"""External ids (``ir.model.data``) and ``Model.load``, as Odoo 18 answers them (facts/automations-b.md)."""

from __future__ import annotations

import copy
from typing import Any

from .faults import OdooError
from .models import MODELS, X2MANY

_TRUES = ("1", "true", "yes")
_FALSES = ("0", "false", "no", "")
IMPORT_MODULE = "__import__"  # where load() puts bare external ids


def split_xid(xid: str) -> tuple[str, str]:
    """('module', 'name') of an external id; a bare name belongs to ``__import__``."""
    module, dot, name = xid.partition(".")
    return (module, name) if dot else (IMPORT_MODULE, xid)


class ImportMixin:
    """``load`` on every model and ``check_object_reference`` on ir.model.data."""

    db: Any
    name: str
    uid: int

    def _xid_row(self, module: str, name: str) -> dict | None:
        table = self.db.tables["ir.model.data"]
        return next((r for r in table.values() if r["module"] == module and r["name"] == name), None)

    def check_object_reference(self, module, xml_id, raise_on_access_error=False):
        """[model, res_id] of an external id; [model, False] when the user cannot read it."""
        row = self._xid_row(module, xml_id)
        if row is None:
            raise ValueError(f"External ID not found in the system: {module}.{xml_id}")
        model, rid = row["model"], row["res_id"]
        if rid in self.db.tables[model] and self.db.allowed(self.uid, model, "r"):
            return [model, rid]
        if raise_on_access_error:
            raise OdooError(f"Not enough access rights on the external ID {module}.{xml_id!r}")
        return [model, False]

    def load(self, fields, data):
        """Create or update records from rows of text, by external id or ``.id``; all or nothing."""
        columns = [self._column(name) for name in fields]
        saved = copy.deepcopy(self.db.tables)
        ids, messages = [], []
        for index, row in enumerate(data):
            try:
                ids.append(self._load_row(columns, list(row)))
            except _RowError as error:
                messages.append({"type": "error", "rows": {"from": index, "to": index},
                                 "record": index, "field": error.field, "message": error.message})
            except OdooError as error:  # rights, required fields: reported, never raised
                messages.append({"type": "error", "rows": {"from": index, "to": index},
                                 "record": index, "message": str(error)})
        if messages:
            self.db.tables.clear()
            self.db.tables.update(saved)  # the whole batch is rolled back
            return {"ids": False, "messages": messages, "nextrow": 0}
        return {"ids": ids, "messages": [], "nextrow": 0}

    def _column(self, path: str) -> tuple[str, str]:
        """(field, kind) of a column: kind '' (value), 'id' (external id) or '.id' (database id)."""
        if path in ("id", ".id"):
            return (path, "")
        name, _, sub = path.partition("/")
        if name not in MODELS[self.name].fields or sub not in ("", "id", ".id"):
            raise ValueError(f"Invalid field name {name!r}")
        return (name, sub)

    def _load_row(self, columns: list[tuple[str, str]], row: list) -> int:
        values, xid, dbid = {}, None, None
        for (name, kind), text in zip(columns, row, strict=False):
            if name == "id":
                xid = text or None
            elif name == ".id":
                dbid = int(text) if text else None
            else:
                values[name] = self._convert(name, kind, text)
        return self._save(values, xid, dbid)

    def _save(self, values: dict, xid: str | None, dbid: int | None) -> int:
        table, access = self.db.tables[self.name], self.db.allowed
        row = self._xid_row(*split_xid(xid)) if xid else None
        if row is not None and row["model"] == self.name and row["res_id"] in table:
            dbid = row["res_id"]
        if dbid is not None:
            if not access(self.uid, self.name, "w"):
                raise _denied(self.name, "modify")
            self.db.write(self.name, [dbid], values, self.uid)
            return dbid
        if not access(self.uid, self.name, "c"):
            raise _denied(self.name, "create")
        rid = self.db.create(self.name, values, self.uid)
        if xid:
            self._bind(xid, rid, row)
        return rid

    def _bind(self, xid: str, rid: int, row: dict | None) -> None:
        module, name = split_xid(xid)
        if row is not None:
            row.update(model=self.name, res_id=rid)
            return
        data = self.db.tables["ir.model.data"]
        new = max(data, default=0) + 1
        data[new] = {"id": new, "module": module, "name": name, "model": self.name, "res_id": rid,
                     "noupdate": False, "create_date": False, "write_date": False}

    def _convert(self, name: str, kind: str, text: Any) -> Any:
        field = MODELS[self.name].fields[name]
        text = "" if text is None or text is False else str(text)
        if text == "":
            return False
        if field.type in X2MANY:
            raise _RowError(name, f"Cannot import {field.string!r}: use a write for x2many values")
        if field.type == "many2one":
            return self._reference(field, kind, text)
        return _scalar(field, text)

    def _reference(self, field: Any, kind: str, text: str) -> int:
        target = self.db.tables[field.relation]
        if kind == ".id":
            found = int(text) if text.isdigit() and int(text) in target else None
        elif kind == "id":
            row = self._xid_row(*split_xid(text))
            found = row["res_id"] if row and row["model"] == field.relation else None
        else:
            found = next((rid for rid in target if self.db.display_name(field.relation, rid) == text), None)
        if found is None:
            what = "external id" if kind == "id" else "database id" if kind == ".id" else "name"
            raise _RowError(field.name, f"No matching record found for {what} '{text}' in field "
                                        f"'{field.string}'")
        return found


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _scalar(field: Any, text: str) -> Any:
    """A text cell converted to the field's type, or the message Odoo's importer gives."""
    kind, label = field.type, field.string
    try:
        if kind == "boolean":
            if text.lower() not in _TRUES + _FALSES:
                raise _RowError(field.name, f"Unknown value '{text}' for boolean field '{label}'")
            return text.lower() in _TRUES
        if kind == "integer":
            return int(text)
        if kind in ("float", "monetary"):
            return float(text)
    except ValueError:
        noun = "an integer" if kind == "integer" else "a number"
        raise _RowError(field.name, f"'{text}' does not seem to be {noun} for field '{label}'") from None
    if kind == "selection":
        for key, shown in field.selection or ():
            if text in (key, shown):
                return key
        raise _RowError(field.name, f"Value '{text}' not found in selection field '{label}'")
    return text


def _denied(model: str, verb: str) -> OdooError:
    desc = MODELS[model].description
    return OdooError(f"You are not allowed to {verb} '{desc}' ({model}) records.")


def drop_xids(db: Any, model: str, ids: list[int]) -> None:
    """Delete the external ids of deleted records, as ``unlink`` does."""
    data = db.tables["ir.model.data"]
    for key in [k for k, r in data.items() if r["model"] == model and r["res_id"] in ids]:
        del data[key]
