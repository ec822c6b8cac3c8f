"""Tools beyond CRUD: ``name_search``, ``read_group`` and ``call`` (public business methods).

``call`` runs ``model.method(ids, *args, **kwargs)``. The letter it needs depends on the method:
a method that a dedicated tool already covers (``write``, ``unlink``, ``search_read``, ...) needs
that tool's letter, so that ``call`` never bypasses R, W or D; every other public method needs X
(``X`` for all of them, ``X(m1|m2)`` for the listed ones). Names starting with ``_`` are refused
before Odoo is contacted (Odoo refuses them too).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates
from marshmallow import fields as ma

from app.base.errors import OdooError
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.access.scopes import METHOD_NAME
from app.core.batch import StrictBoolean
from app.core.tools import OdooCall, Tool, ToolArgs, _limit, _offset

# Methods that read or change records the way a dedicated tool does: ``call`` needs their letter.
METHOD_LETTERS: dict[str, str] = {
    **dict.fromkeys((
        "search", "search_read", "read", "search_count", "fields_get", "default_get",
        "name_search", "read_group", "formatted_read_group", "search_fetch", "web_search_read",
        "web_read", "web_read_group", "read_progress_bar", "name_get", "export_data",
    ), "R"),
    **dict.fromkeys(("create", "write", "copy", "name_create", "web_save", "load"), "W"),
    "unlink": "D",
}
# Odoo's XML-RPC cannot marshal a method's None: the fault's message, turned into a null value.
_NONE_FAULT = "cannot marshal None"
_MEASURE = r"^[A-Za-z_][A-Za-z0-9_]*(?::[a-z_]+(?:\([A-Za-z_][A-Za-z0-9_]*\))?)?$"
_GROUPBY = r"^[A-Za-z_][A-Za-z0-9_.]*(?::(?:day|week|month|quarter|year|hour))?$"


def method_letter(method: str) -> str:
    """The scope letter ``call`` needs for ``method``."""
    return METHOD_LETTERS.get(method, "X")


class NameSearchArgs(ToolArgs):
    name = ma.String(load_default="", metadata={"description": "Text to match (empty: any)"})
    domain = odoo_fields.Domain(load_default=list)
    operator = ma.String(
        load_default="ilike", validate=validate.OneOf(sorted(odoo_fields.OPERATORS)),
        metadata={"description": "How name is compared (default 'ilike')"},
    )
    limit = _limit()


class ReadGroupArgs(ToolArgs):
    domain = odoo_fields.Domain(load_default=list)
    field_list = ma.List(
        ma.String(validate=validate.Regexp(_MEASURE, error="Use 'field', 'field:agg' or 'a:agg(field)'.")),
        load_default=list, data_key="fields", attribute="fields",
        metadata={"description": "Aggregates, e.g. [\"amount_total:sum\"]"},
    )
    groupby = ma.List(
        ma.String(validate=validate.Regexp(_GROUPBY, error="Use 'field' or 'date_field:month'.")),
        required=True, validate=validate.Length(min=1, max=10),
        metadata={"description": "Fields to group by, e.g. [\"partner_id\", \"date_order:month\"]"},
    )
    orderby = odoo_fields.order()
    limit = odoo_fields.WholeNumber(metadata={"description": "Most groups to return (omitted: all)"})
    offset = _offset()
    lazy = StrictBoolean(load_default=True, metadata={
        "description": "Group by the first groupby only (Odoo's default); false groups by all"})


class CallArgs(ToolArgs):
    method = ma.String(required=True, metadata={
        "description": "A public method of the model, e.g. action_confirm", "example": "action_confirm",
        "pattern": METHOD_NAME.pattern})
    ids = odoo_fields.ids(1000)  # omitted: a model-level method (@api.model)
    args = ma.List(ma.Raw(metadata={"allOf": [odoo_fields.VALUE, {"not": {"type": "null"}}]}),
                   load_default=list, metadata={
        "description": "Positional arguments after ids (not null: XML-RPC cannot send it)"})
    kwargs = ma.Dict(
        keys=ma.String(), values=ma.Raw(allow_none=True, metadata=odoo_fields.VALUE), load_default=dict,
        metadata={"description": "Keyword arguments (JSON-2 keys need these for every named argument)"})

    @validates("method")
    def _public(self, value: str, **_: Any) -> None:
        if value.startswith("_"):
            raise ValidationError("Private methods (starting with '_') cannot be called remotely.")
        if not METHOD_NAME.match(value):
            raise ValidationError("Not a valid method name.")

    @validates("kwargs")
    def _no_context(self, value: dict, **_: Any) -> None:
        if "context" in value:
            raise ValidationError("Pass the context in the 'context' argument, not in kwargs.")


def _name_search(odoo: OdooCall, a: dict) -> dict:
    pairs = odoo("name_search", [a["name"], a["domain"], a["operator"], a["limit"]], {})
    results = [{"id": pair[0], "name": pair[1]} for pair in pairs]
    return {"results": results, "count": len(results)}


def _read_group(odoo: OdooCall, a: dict) -> dict:
    kwargs: dict[str, Any] = {"offset": a["offset"], "lazy": a["lazy"]}
    if "limit" in a:
        kwargs["limit"] = a["limit"]
    if a.get("orderby"):
        kwargs["orderby"] = a["orderby"]
    groups = odoo("read_group", [a["domain"], a["fields"], a["groupby"]], kwargs)
    return {"groups": groups, "count": len(groups)}


def _call(odoo: OdooCall, a: dict) -> dict:
    args = [a["ids"], *a["args"]] if "ids" in a else list(a["args"])
    try:
        value = odoo(a["method"], args, a["kwargs"])
    except OdooError as error:
        if _NONE_FAULT not in error.message:
            raise
        value = None  # the method ran (and committed) but returned None
    return {"value": value, "method": a["method"]}


def _call_needs(a: dict) -> tuple[str, str | None]:
    return method_letter(a["method"]), a["method"]


BUSINESS_TOOLS: tuple[Tool, ...] = (
    Tool("name_search", "R", "Find records by display name: [{id, name}].", NameSearchArgs, _name_search,
         fields=FieldArgs(domains=("domain",), texts=("name",)),
         example={"model": "res.partner", "name": "Azure", "limit": 5}),
    Tool("read_group", "R", "Group records and aggregate fields (counts, sums) without reading rows.",
         ReadGroupArgs, _read_group,
         fields=FieldArgs(measures=("fields",), groupby=("groupby",), domains=("domain",),
                          orders=("orderby",)),
         example={"model": "sale.order", "fields": ["amount_total:sum"], "groupby": ["state"]}),
    Tool("call", "X", "Run a public model method, e.g. sale.order action_confirm; CRUD methods need "
         "their own letter (R, W or D).", CallArgs, _call, needs=_call_needs,
         fields=FieldArgs(method="method"),
         example={"model": "sale.order", "method": "action_confirm", "ids": [2]}),
)
