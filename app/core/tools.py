"""The tool registry: each tool's name, scope letter, argument schema and Odoo mapping.

A tool's ``run`` receives ``odoo(method, args, kwargs)``, already bound to the model and the
context, and the loaded arguments; it returns the result without ``model``, which the caller adds.
Arguments reach ``execute_kw`` exactly as Odoo's method signatures name them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as ma

from app.base.errors import InvalidRequest, ToolNotFound
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.batch import StrictBoolean
from app.core.schemas import summarize

# odoo(method, args, kwargs) on the tool's model; odoo(..., model="other") on another one.
OdooCall = Callable[..., Any]


class ToolArgs(Schema):
    """Base of every tool's arguments: ``model`` and ``context``; unknown arguments are refused."""

    model = odoo_fields.model_name(required=True)
    context = ma.Dict(
        keys=ma.String(), values=ma.Raw(allow_none=True, metadata=odoo_fields.VALUE),
        metadata={"description": "Odoo context merged over the key's, e.g. {\"lang\": \"fr_FR\"}"},
    )

    def __init__(self, max_limit: int = 1000, **kwargs: Any) -> None:
        self.max_limit = max_limit
        super().__init__(**kwargs)
        for name, field in self.fields.items():
            if name == "limit":
                field.validators = [validate.Range(min=1, max=max_limit)]
            elif name == "ids":
                field.validators = [validate.Length(min=1, max=max_limit)]
            elif isinstance(field, odoo_fields.Values):
                field.limit(max_limit)


def _limit() -> ma.Integer:
    return odoo_fields.WholeNumber(
        load_default=100, metadata={"description": "Most records to return (default 100)"}
    )


def _offset() -> ma.Integer:
    return odoo_fields.WholeNumber(
        load_default=0, validate=validate.Range(min=0, max=odoo_fields.MAX_ID),
        metadata={"description": "Records to skip"},
    )


def _lean() -> ma.Boolean:
    return StrictBoolean(metadata={"description": (
        "With fields omitted: true reads the lean default (no binary, HTML or x2many fields) and "
        "bounds the answer's size; default true over MCP, false over REST")})


class SearchArgs(ToolArgs):
    domain = odoo_fields.Domain(load_default=list)
    limit = _limit()
    offset = _offset()
    order = odoo_fields.order()


class ReadArgs(ToolArgs):
    ids = odoo_fields.ids(1000, required=True)
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields", metadata={"description": "Field names (omitted: all)"})
    lean = _lean()


class SearchReadArgs(SearchArgs):
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields", metadata={"description": "Field names (omitted: all)"})
    lean = _lean()


class CountArgs(ToolArgs):
    domain = odoo_fields.Domain(load_default=list)


class FieldsGetArgs(ToolArgs):
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields", metadata={"description": "Field names (omitted: all)"})
    attributes = ma.List(
        ma.String(), metadata={"description": "Attributes per field, e.g. [\"string\", \"type\"]"}
    )


class DefaultGetArgs(ToolArgs):
    field_list = odoo_fields.field_names(
        data_key="fields", attribute="fields",
        metadata={"description": "Field names (omitted: every field of the model)"}
    )


class CreateArgs(ToolArgs):
    values = odoo_fields.Values(
        1000, required=True, metadata={"description": "Field values: one object or a list"}
    )


class WriteArgs(ToolArgs):
    ids = odoo_fields.ids(1000, required=True)
    values = odoo_fields.ValuesObject(required=True, metadata={"description": "Field values"})


class UnlinkArgs(ToolArgs):
    ids = odoo_fields.ids(1000, required=True)


def _paging(a: dict) -> dict:
    kwargs = {"offset": a["offset"], "limit": a["limit"]}
    if a.get("order"):
        kwargs["order"] = a["order"]
    return kwargs


def _search(odoo: OdooCall, a: dict) -> dict:
    ids = odoo("search", [a["domain"]], _paging(a))
    return {"ids": ids, "count": len(ids)}


def _records(records: list) -> dict:
    return {"records": records, "count": len(records)}


def _read(odoo: OdooCall, a: dict) -> dict:
    kwargs = {"fields": a["fields"]} if "fields" in a else {}
    return _records(odoo("read", [a["ids"]], kwargs))


def _search_read(odoo: OdooCall, a: dict) -> dict:
    kwargs = {"fields": a["fields"]} if "fields" in a else {}
    return _records(odoo("search_read", [a["domain"]], {**kwargs, **_paging(a)}))


def _search_count(odoo: OdooCall, a: dict) -> dict:
    return {"count": odoo("search_count", [a["domain"]], {})}


def _fields_get(odoo: OdooCall, a: dict) -> dict:
    kwargs = {"allfields": a["fields"]} if "fields" in a else {}
    if "attributes" in a:
        kwargs["attributes"] = a["attributes"]
    found = odoo("fields_get", [], kwargs)
    return {"fields": found, "count": len(found)}


def _default_get(odoo: OdooCall, a: dict) -> dict:
    names = a.get("fields")
    if names is None:
        names = list(odoo("fields_get", [], {"attributes": ["type"]}))
    return {"defaults": odoo("default_get", [names], {})}


def _create(odoo: OdooCall, a: dict) -> dict:
    created = odoo("create", [a["values"]], {})
    if isinstance(a["values"], list):
        return {"ids": created, "count": len(created), "status": "created"}
    return {"id": created, "status": "created"}


def _write(odoo: OdooCall, a: dict) -> dict:
    odoo("write", [a["ids"], a["values"]], {})
    return {"success": True, "count": len(a["ids"]), "status": "updated"}


def _unlink(odoo: OdooCall, a: dict) -> dict:
    odoo("unlink", [a["ids"]], {})
    return {"success": True, "count": len(a["ids"]), "status": "deleted"}


@dataclass(frozen=True)
class Tool:
    """One operation callers can run through ``POST /tools/call``."""

    name: str
    letter: str
    description: str
    schema: type[ToolArgs]
    run: Callable[[OdooCall, dict], dict]
    # (letter, method) the loaded arguments need; None means (letter, None).
    needs: Callable[[dict], tuple[str, str | None]] | None = None
    also: str = ""  # letters needed besides the main one (an upsert reads to find its match)
    # Which arguments carry fields (field-level scopes); None: keys with field rules cannot run it.
    fields: FieldArgs | None = None
    # Arguments that work against the sandbox's demo data: shown in /docs and run by the tests.
    example: dict = dataclass_field(default_factory=dict)

    def requires(self, arguments: dict) -> tuple[str, str | None]:
        """The scope letter (and, for X, the method) these loaded arguments need."""
        return self.needs(arguments) if self.needs else (self.letter, None)


_PARTNER = "res.partner"
_COMPANIES = [["is_company", "=", True]]
_FILTERED = FieldArgs(domains=("domain",), orders=("order",))
_READ = FieldArgs(names=("fields",), answer=("records",), lean=True)

TOOLS: tuple[Tool, ...] = (
    Tool("search", "R", "Find record ids matching a domain.", SearchArgs, _search, fields=_FILTERED,
         example={"model": _PARTNER, "domain": _COMPANIES, "limit": 10, "order": "name asc"}),
    Tool("read", "R", "Read records by id (missing ids are left out).", ReadArgs, _read, fields=_READ,
         example={"model": _PARTNER, "ids": [2, 6], "fields": ["name", "email"]}),
    Tool("search_read", "R", "Find records matching a domain and read their fields.",
         SearchReadArgs, _search_read,
         fields=FieldArgs(names=("fields",), domains=("domain",), orders=("order",),
                          answer=("records",), lean=True),
         example={"model": _PARTNER, "domain": _COMPANIES, "fields": ["name", "email"], "limit": 5}),
    Tool("search_count", "R", "Count records matching a domain.", CountArgs, _search_count,
         fields=FieldArgs(domains=("domain",)), example={"model": _PARTNER, "domain": _COMPANIES}),
    Tool("fields_get", "R", "Describe a model's fields (type, label, relation, ...).",
         FieldsGetArgs, _fields_get, fields=FieldArgs(names=("fields",), answer=("fields",)),
         example={"model": _PARTNER, "fields": ["name", "email"], "attributes": ["string", "type"]}),
    Tool("default_get", "R", "Default values Odoo would give a new record.",
         DefaultGetArgs, _default_get, fields=FieldArgs(names=("fields",), answer=("defaults",)),
         example={"model": _PARTNER, "fields": ["type", "lang"]}),
    Tool("create", "W", "Create one record (values is an object) or several (a list).",
         CreateArgs, _create, fields=FieldArgs(values=("values",)),
         example={"model": _PARTNER, "values": {"name": "Jane Doe", "email": "jane@example.com"}}),
    Tool("write", "W", "Update records by id with the same values.", WriteArgs, _write,
         fields=FieldArgs(values=("values",)),
         example={"model": _PARTNER, "ids": [7], "values": {"phone": "+32 2 123 45 67"}}),
    Tool("unlink", "D", "Delete records by id.", UnlinkArgs, _unlink, fields=FieldArgs(),
         example={"model": _PARTNER, "ids": [12]}),
)


class ToolRegistry:
    """The tools by name, with argument schemas bounded by ``max_limit``."""

    def __init__(self, max_limit: int, tools: tuple[Tool, ...] = TOOLS) -> None:
        self._tools = {tool.name: tool for tool in tools}
        self._schemas = {tool.name: tool.schema(max_limit=max_limit) for tool in tools}
        self._catalogue = [self._describe(tool) for tool in tools]

    def get(self, name: str) -> Tool:
        tool = self._tools.get(name)
        if tool is None:
            raise ToolNotFound(
                f"Unknown tool {name!r}: use one of {', '.join(self._tools)} (GET /tools/list)."
            )
        return tool

    def load_arguments(self, tool: Tool, arguments: dict) -> dict:
        """The arguments checked and converted by the tool's schema, or InvalidRequest."""
        try:
            return self._schemas[tool.name].load(arguments)
        except ValidationError as error:
            raise InvalidRequest(
                f"Invalid arguments for tool {tool.name!r}: {summarize(error.messages)}",
                details=error.messages,
            ) from None

    def tools(self) -> tuple[Tool, ...]:
        """Every tool, in the order of the catalogue."""
        return tuple(self._tools.values())

    def catalogue(self) -> list[dict]:
        return self._catalogue

    def _describe(self, tool: Tool) -> dict:
        return {
            "name": tool.name, "description": tool.description, "permission": tool.letter,
            "inputSchema": input_schema(self._schemas[tool.name]),
        }


def input_schema(schema: Schema) -> dict:
    """The JSON Schema of a marshmallow schema (through apispec's converter), without markers."""
    converter = OpenAPIConverter("3.1.0", None, None)
    return _unmarked(converter.schema2jsonschema(schema))


def _unmarked(value: Any) -> Any:
    """``value`` without the ``x-odoo-value`` markers (any JSON value is shown as ``{}``)."""
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items() if k != "x-odoo-value"}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value

