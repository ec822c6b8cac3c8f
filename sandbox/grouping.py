"""read_group: Odoo's grouped aggregates, with lazy and eager shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import NUMERIC
from .store import invalid_field

if TYPE_CHECKING:
    from .orm import BaseModel

_AGGREGATES = {
    "sum": sum, "min": min, "max": max, "count": len,
    "avg": lambda values: sum(values) / len(values) if values else 0,
}


def _measures(model: BaseModel, fields: Any) -> list[tuple[str, str, str]]:
    """Parse 'name', 'name:agg' and 'alias:agg(name)' specs into (alias, agg, field)."""
    measures = []
    for spec in fields or []:
        alias, _, agg = spec.partition(":")
        name = alias
        if "(" in agg:
            agg, _, name = agg.rstrip(")").partition("(")
        if name not in model.spec.fields and name != "__count":
            raise invalid_field(model.name, name)
        field = model.spec.fields.get(name)
        if field is not None and (agg or field.type in NUMERIC) and agg != "" or (
                field is not None and field.type in NUMERIC):
            measures.append((alias, agg or "sum", name))
    return measures


def _key(model: BaseModel, rec: dict, groupby: str) -> Any:
    """Return the group value of a record for one groupby spec."""
    name, _, granularity = groupby.partition(":")
    if name not in model.spec.fields:
        raise invalid_field(model.name, name)
    field = model.spec.fields[name]
    value = model.db.raw(model.name, rec, name)
    if field.type == "many2one":
        return [value, model.db.display_name(field.relation, value, model.context)] if value else False
    if granularity and value:
        return _bucket(value, granularity)
    return value if value != "" else False


def _bucket(value: str, granularity: str) -> str:
    """Label a date or datetime string the way Odoo labels its groups."""
    from datetime import datetime

    moment = datetime.strptime(value[:10], "%Y-%m-%d")
    labels = {"day": "%d %b %Y", "week": "W%W %Y", "month": "%B %Y", "year": "%Y"}
    if granularity == "quarter":
        return f"Q{(moment.month - 1) // 3 + 1} {moment.year}"
    return moment.strftime(labels.get(granularity, "%B %Y"))


def read_group(model: BaseModel, domain: Any, fields: Any, groupby: Any, offset: Any,
               limit: Any, orderby: Any, lazy: Any) -> list[dict]:
    """Group matching records by the first groupby (lazy) or all of them (eager)."""
    groupbys = [groupby] if isinstance(groupby, str) else list(groupby or [])
    active = groupbys[:1] if lazy else groupbys
    measures = _measures(model, fields)
    groups: dict[str, tuple[list, list[dict]]] = {}
    # Odoo orders groups by the groupby fields unless orderby says otherwise.
    order = orderby or ", ".join(g.split(":")[0] for g in active) or None
    for rec in model._sort(model._filter(domain), order):
        keys = [_key(model, rec, g) for g in active]
        groups.setdefault(repr(keys), (keys, []))[1].append(rec)
    result = []
    for keys, records in groups.values():
        row: dict = dict(zip(active, keys, strict=True))
        count_key = f"{active[0].split(':')[0]}_count" if lazy and active else "__count"
        row[count_key] = len(records)
        for alias, agg, name in measures:
            values = [rec.get(name) or 0 for rec in records]
            row[alias] = _AGGREGATES.get(agg, sum)(values)
        terms = [[g.split(":")[0], "=", k[0] if isinstance(k, list) else k]
                 for g, k in zip(active, keys, strict=True)]
        row["__domain"] = [*terms, *(domain or [])]
        if lazy and groupbys[1:]:
            row["__context"] = {"group_by": groupbys[1:]}
        result.append(row)
    start = offset or 0
    return result[start:start + limit] if limit else result[start:]
