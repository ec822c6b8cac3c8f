"""The ``run_wizard`` tool: create a transient model with values and the context Odoo's buttons set
(``active_model``, ``active_ids``, ``active_id``), call its action method, return what Odoo returns.

Scoped like ``call``: X on the wizard model and method, e.g.
``account.payment.register:X(action_create_payments)``.
Odoo checks the user's own rights on the active records when the wizard runs.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validates
from marshmallow import fields as ma

from app.base.errors import OdooError
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.business import _NONE_FAULT, METHOD_LETTERS, CallArgs
from app.core.tools import OdooCall, Tool, ToolArgs


class WizardArgs(ToolArgs):
    method = CallArgs._declared_fields["method"]
    values = ma.Dict(keys=ma.String(), values=ma.Raw(allow_none=True, metadata=odoo_fields.VALUE),
                     load_default=dict, metadata={
        "description": "The wizard's field values (omitted or {}: Odoo's defaults)"})
    active_model = odoo_fields.model_name(required=True)
    active_ids = odoo_fields.ids(1000, required=True)

    @validates("method")
    def _action(self, value: str, **_: Any) -> None:
        CallArgs._public(self, value)
        if value in METHOD_LETTERS:
            raise ValidationError("Name the wizard's action method (e.g. action_create_payments), "
                                  "not a CRUD method.")


def _run(odoo: OdooCall, a: dict) -> dict:
    context = {"active_model": a["active_model"], "active_ids": a["active_ids"],
               "active_id": a["active_ids"][0]}
    created = odoo("create", [[a["values"]]], {"context": context})
    wizard_id = created[0] if isinstance(created, list) else created
    try:
        value = odoo(a["method"], [[wizard_id]], {"context": context})
    except OdooError as error:
        if _NONE_FAULT not in error.message:
            raise
        value = None  # the action ran and returned None
    action = value if isinstance(value, dict) and "type" in value else None
    return {"wizard_id": wizard_id, "method": a["method"], "value": value, "action": action,
            "next": _next(action)}


def _next(action: dict | None) -> dict | None:
    """The record an ``ir.actions.act_window`` opens ({model, id}), when it opens one."""
    if action and action.get("type") == "ir.actions.act_window" and action.get("res_id"):
        return {"model": action.get("res_model"), "id": action["res_id"]}
    return None


def _needs(a: dict) -> tuple[str, str | None]:
    return "X", a["method"]


WIZARD_TOOLS: tuple[Tool, ...] = (
    Tool("run_wizard", "X", "Run a wizard: create it with values and active_model/active_ids, call its "
         "action method, return the result or the next action.", WizardArgs, _run, needs=_needs,
         fields=FieldArgs(method="method"),
         example={"model": "sale.advance.payment.inv", "method": "create_invoices",
                  "values": {"advance_payment_method": "delivered"}, "active_model": "sale.order",
                  "active_ids": [4]}),
)
