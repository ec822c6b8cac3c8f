"""Schema of the Odoo models the double serves: fields, descriptions, orders and access."""

from __future__ import annotations

from dataclasses import dataclass, field

NO_DEFAULT = object()
RELATIONAL = ("many2one", "one2many", "many2many")
X2MANY = ("one2many", "many2many")
NUMERIC = ("integer", "float", "monetary")
TZS = ("Europe/Brussels", "Europe/Paris", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC")


@dataclass(frozen=True)
class Field:
    """One field of a model, described the way Odoo's fields_get does."""

    name: str
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    relation: str | None = None
    relation_field: str | None = None
    selection: tuple[tuple[str, str], ...] | None = None
    help: str | None = None
    default: object = NO_DEFAULT
    store: bool = True

    def describe(self) -> dict:
        """Return the fields_get attributes of this field."""
        attrs: dict = {
            "name": self.name, "string": self.string, "type": self.type,
            "required": self.required, "readonly": self.readonly, "store": self.store,
            "searchable": True, "sortable": self.store and self.type not in X2MANY,
            "groupable": self.store and self.type not in X2MANY,
            "manual": False, "company_dependent": False, "change_default": False,
        }
        if self.help:
            attrs["help"] = self.help
        if self.relation:
            attrs.update(relation=self.relation, domain=[], context={})
        if self.relation_field:
            attrs["relation_field"] = self.relation_field
        if self.selection is not None:
            attrs["selection"] = [list(pair) for pair in self.selection]
        if self.type in ("char", "text", "html"):
            attrs["translate"] = False
        return attrs


@dataclass(frozen=True)
class Model:
    """An Odoo model: technical name, description, default order and fields."""

    name: str
    description: str
    order: str
    fields: dict[str, Field] = field(default_factory=dict)
    methods: tuple[str, ...] = ()
    # Odoo's ``_rec_names_search``: the fields a name search (and a display_name leaf) matches.
    rec_names: tuple[str, ...] = ("name",)


def _model(name: str, description: str, order: str, *fields: Field,
           methods: tuple[str, ...] = (), rec_names: tuple[str, ...] = ("name",)) -> Model:
    """Build a model with the magic fields every Odoo model has."""
    magic = (
        Field("id", "integer", "ID", readonly=True),
        Field("display_name", "char", "Display Name", readonly=True, store=False),
        Field("create_date", "datetime", "Created on", readonly=True),
        Field("write_date", "datetime", "Last Updated on", readonly=True),
    )
    return Model(name, description, order, {f.name: f for f in (*magic, *fields)}, methods, rec_names)


def _active() -> Field:
    """Return the usual archiving flag."""
    return Field("active", "boolean", "Active", default=True,
                 help="By unchecking the active field, you may hide a record without deleting it.")


MODELS: dict[str, Model] = {m.name: m for m in (
    _model(
        "res.partner", "Contact", "name, id",
        Field("name", "char", "Name", required=True),
        Field("email", "char", "Email"),
        Field("phone", "char", "Phone"),
        Field("is_company", "boolean", "Is a Company", default=False,
              help="Check if the contact is a company, otherwise it is a person"),
        Field("type", "selection", "Address Type", default="contact", selection=(
            ("contact", "Contact"), ("invoice", "Invoice Address"),
            ("delivery", "Delivery Address"), ("other", "Other Address"))),
        Field("parent_id", "many2one", "Related Company", relation="res.partner"),
        Field("child_ids", "one2many", "Contact", relation="res.partner",
              relation_field="parent_id"),
        Field("category_id", "many2many", "Tags", relation="res.partner.category"),
        _active(),
        Field("lang", "selection", "Language", default="en_US",
              selection=(("en_US", "English (US)"), ("fr_FR", "French / Français"))),
        Field("tz", "selection", "Timezone", default=False,
              selection=tuple((tz, tz) for tz in TZS)),
        Field("color", "integer", "Color Index", default=0),
        Field("company_id", "many2one", "Company", relation="res.company"),
        Field("function", "char", "Job Position"),
        Field("city", "char", "City"),
        Field("comment", "html", "Notes"),
        Field("street", "char", "Street"),
        Field("ref", "char", "Reference"),
        Field("vat", "char", "Tax ID"),
        Field("company_registry", "char", "Company ID"),
        Field("complete_name", "char", "Complete Name", readonly=True),  # computed, stored
        methods=("copy", "address_get"),
        rec_names=("complete_name", "email", "ref", "vat", "company_registry"),
    ),
    _model(
        "res.partner.category", "Partner Tags", "name, id",
        Field("name", "char", "Name", required=True),
        Field("color", "integer", "Color"),
        Field("parent_id", "many2one", "Parent Category", relation="res.partner.category"),
        _active(),
    ),
    _model(
        "product.product", "Product Variant", "default_code, name, id",
        Field("name", "char", "Name", required=True),
        Field("default_code", "char", "Internal Reference"),
        Field("list_price", "float", "Sales Price", default=1.0,
              help="Price at which the product is sold to customers."),
        Field("type", "selection", "Product Type", default="consu", selection=(
            ("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))),
        _active(),
        Field("image_128", "binary", "Image 128", store=False),  # base64, as Odoo's read gives it
        rec_names=("default_code", "name"),  # Odoo overrides _name_search (and adds barcode)
    ),
    _model(
        "sale.order", "Sales Order", "date_order desc, id desc",
        Field("name", "char", "Order Reference", required=True, default="New"),
        Field("partner_id", "many2one", "Customer", required=True, relation="res.partner"),
        Field("state", "selection", "Status", readonly=True, default="draft", selection=(
            ("draft", "Quotation"), ("sent", "Quotation Sent"),
            ("sale", "Sales Order"), ("cancel", "Cancelled"))),
        Field("amount_total", "monetary", "Total", readonly=True),
        Field("date_order", "datetime", "Order Date", required=True,
              help="Creation date of draft/sent orders,\nConfirmation date of confirmed orders."),
        Field("company_id", "many2one", "Company", required=True, relation="res.company"),
        Field("locked", "boolean", "Locked", default=False,
              help="Locked orders cannot be modified."),
        methods=("action_confirm", "action_cancel", "action_lock", "action_unlock"),
    ),
    _model(
        "res.users", "User", "name, login",
        Field("login", "char", "Login", required=True, help="Used to log into the system"),
        Field("name", "char", "Name", required=True),
        Field("partner_id", "many2one", "Related Partner", required=True,
              relation="res.partner"),
        _active(),
        methods=("context_get",),
        rec_names=("name", "login"),
    ),
    _model("res.company", "Companies", "id", Field("name", "char", "Company Name", required=True)),
    _model("res.groups", "Access Groups", "name, id", Field("name", "char", "Name", required=True)),
    _model(
        "ir.model.data", "Model Data", "module, model, name",
        Field("name", "char", "External Identifier", required=True),
        Field("module", "char", "Module", required=True),
        Field("model", "char", "Model Name", required=True),
        Field("res_id", "integer", "Record ID"),
        Field("noupdate", "boolean", "Non Updatable", default=False),
        methods=("check_object_reference",),
    ),
)}

# Models each non-admin kind of user may touch, by access letter (read, write, create, unlink).
_INTERNAL_WRITE = ("res.partner", "res.partner.category", "sale.order")


def default_access(kind: str, model: str) -> str:
    """Return the access letters a seeded user of this kind has on a model."""
    if kind == "admin":
        return "rwcu"
    if model == "ir.model.data":  # Administration/Settings only
        return ""
    if kind == "internal":
        return "rwc" if model in _INTERNAL_WRITE else "r"
    return "r" if model == "product.product" else ""
