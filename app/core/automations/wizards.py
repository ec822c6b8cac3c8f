"""The ``run_wizard`` tool: create a transient model with values and the context Odoo's buttons set
(``active_model``, ``active_ids``, ``active_id``), call its action method, return what Odoo returns.

Scoped like ``call``: X on the wizard model and method, e.g.
``account.payment.register:X(action_create_payments)``.
Odoo checks the user's own rights on the active records when the wizard runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, validates
from marshmallow import fields as ma

from app.base.errors import OdooError
from app.core import fields as odoo_fields
from app.core.access.fieldpolicy import FieldArgs
from app.core.business import METHOD_LETTERS, CallArgs
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
    guard = GUARDS.get((a["model"], a["active_model"]))
    if guard is not None:
        guard(odoo, a)
    context = {"active_model": a["active_model"], "active_ids": a["active_ids"],
               "active_id": a["active_ids"][0]}
    created = odoo("create", [[a["values"]]], {"context": context})
    wizard_id = created[0] if isinstance(created, list) else created
    # nulls: over /jsonrpc when the key uses XML-RPC, which cannot send the None an action may hold
    # (sale.advance.payment.inv's for a customer without payment terms) and would lose the action.
    value = odoo(a["method"], [[wizard_id]], {"context": context}, nulls=True)
    action = value if isinstance(value, dict) and "type" in value else None
    return {"wizard_id": wizard_id, "method": a["method"], "value": value, "action": action,
            "next": _next(action)}


def _posted_only(odoo: OdooCall, a: dict) -> None:
    """Refuse to pay draft invoices, as the invoice's Register Payment button does: Odoo's wizard
    itself creates the payment and leaves the invoice a draft, unpaid (Odoo 19 even reads it paid)."""
    rows = odoo("read", [a["active_ids"], ["state"]], {}, model=a["active_model"])
    drafts = [row["id"] for row in rows if row.get("state") != "posted"]
    if drafts:
        raise OdooError("You can only register payment for posted journal entries. Not posted: "
                        f"account.move {', '.join(map(str, drafts))} (post with action_post first).")


# Checks Odoo's buttons make before opening a wizard, which the wizard alone would skip.
GUARDS: dict[tuple[str, str], Callable[[OdooCall, dict], None]] = {
    ("account.payment.register", "account.move"): _posted_only,
}


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
