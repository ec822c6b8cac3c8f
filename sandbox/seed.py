"""Seed data: the demo users and the records of the "demo" and "other" databases."""

from __future__ import annotations

from .models import MODELS, NO_DEFAULT

SEED_DATE = "2025-01-06 08:30:00"
# A 1x1 PNG, base64: what Odoo's read answers for an image field.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

DEMO_USERS: dict[str, dict] = {
    "admin": {"password": "admin", "uid": 2, "kind": "admin"},
    "restricted": {"password": "restricted", "uid": 6, "kind": "internal"},
    "portal": {"password": "portal", "uid": 8, "kind": "portal"},
}
# Database "other" has the same logins; its passwords end in "-other" so tests can tell them apart.
PASSWORDS: dict[str, dict[str, str]] = {
    "demo": {login: user["password"] for login, user in DEMO_USERS.items()},
    "other": {login: f"{user['password']}-other" for login, user in DEMO_USERS.items()},
}
API_KEYS: dict[str, dict[str, list[str]]] = {
    "demo": {"admin": ["admin-api-key-0000000000000000"]},
    "other": {},
}

_PARTNERS = {
    "demo": [
        (1, "YourCompany", {"is_company": True, "email": "info@yourcompany.example.com"}),
        (2, "Azure Interior", {"is_company": True, "city": "Fremont", "category_id": [1]}),
        (3, "Mitchell Admin", {"email": "admin@yourcompany.example.com", "parent_id": 1}),
        (4, "Brandon Freeman", {"parent_id": 2, "email": "brandon.freeman55@example.com",
                                "function": "Creative Director"}),
        (5, "Nicole Ford", {"parent_id": 2, "type": "invoice",
                            "email": "nicole.ford75@example.com"}),
        (6, "Deco Addict", {"is_company": True, "city": "Pleasant Hill", "category_id": [1, 2]}),
        (7, "Addison Olson", {"parent_id": 6, "phone": "(223)-399-7637", "category_id": [3]}),
        (8, "Gemini Furniture", {"is_company": True, "city": "Fairfield", "category_id": [2]}),
        (9, "Edwin Hansen", {"parent_id": 8, "email": "edwin.hansen58@example.com"}),
        (10, "Joel Willis", {"email": "joel.willis63@example.com", "tz": "Europe/Brussels"}),
        (11, "Marc Demo", {"email": "mark.brown23@example.com", "parent_id": 1}),
        (12, "Old Supplier Ltd", {"is_company": True, "active": False}),
        (13, "Jesse Brown", {"active": False, "city": "Fremont"}),
        (14, "Ready Mat", {"is_company": True, "city": "Tracy", "color": 4}),
    ],
    "other": [
        (1, "Other Holding", {"is_company": True, "email": "hello@other.example.com"}),
        (2, "Blue Harbor Ltd", {"is_company": True, "city": "Ghent", "category_id": [1]}),
        (3, "Olivia Other", {"email": "admin@other.example.com", "parent_id": 1}),
        (4, "Lars Peeters", {"parent_id": 2, "email": "lars@blueharbor.example.com"}),
        (10, "Petra Portal", {"email": "petra@example.com"}),
        (11, "Ruben Restricted", {"parent_id": 1}),
        (15, "Gone Trading", {"is_company": True, "active": False}),
    ],
}
_CATEGORIES = [
    (1, "Prospects", {"color": 2}), (2, "Vendor", {"color": 5}),
    (3, "Services", {"parent_id": 1}), (4, "Archived Tag", {"active": False}),
]
_PRODUCTS = [
    (1, "Office Chair", {"default_code": "FURN_7777", "list_price": 70.0, "image_128": PIXEL}),
    (2, "Large Desk", {"default_code": "FURN_0789", "list_price": 1799.0}),
    (3, "Customizable Desk", {"default_code": "FURN_0096", "list_price": 750.0}),
    (4, "Drawer Black", {"default_code": "FURN_8900", "list_price": 25.0}),
    (5, "Conference Chair", {"default_code": "E-COM06", "list_price": 33.0}),
    (6, "Virtual Home Staging", {"type": "service", "list_price": 38.25}),
    (7, "Desk Combination", {"default_code": "FURN_7800", "type": "combo", "list_price": 450.0}),
    (8, "Discontinued Lamp", {"default_code": "LAMP_0001", "list_price": 12.5, "active": False}),
]
_ORDERS = {
    "demo": [
        (1, "S00001", {"partner_id": 2, "state": "draft", "amount_total": 1740.0,
                       "date_order": "2025-01-02 10:00:00"}),
        (2, "S00002", {"partner_id": 6, "state": "sent", "amount_total": 2947.5,
                       "date_order": "2025-01-03 11:15:00"}),
        (3, "S00003", {"partner_id": 8, "state": "sale", "amount_total": 377.5,
                       "date_order": "2025-01-04 09:45:00"}),
        (4, "S00004", {"partner_id": 2, "state": "sale", "amount_total": 2240.0,
                       "date_order": "2025-01-05 14:30:00", "payment_term_id": 4}),
        (5, "S00005", {"partner_id": 4, "state": "cancel", "amount_total": 70.0,
                       "date_order": "2025-01-06 16:05:00"}),
    ],
    "other": [
        (1, "OT0001", {"partner_id": 2, "state": "sale", "amount_total": 99.0,
                       "date_order": "2025-02-01 10:00:00"}),
    ],
}
_USERS = [
    (2, "Mitchell Admin", {"login": "admin", "partner_id": 3}),
    (6, "Marc Demo", {"login": "restricted", "partner_id": 11}),
    (8, "Joel Willis", {"login": "portal", "partner_id": 10}),
]
_COMPANIES = {"demo": [(1, "YourCompany", {}), (2, "My Belgian Company", {})],
              "other": [(1, "Other Holding", {}), (2, "Other Subsidiary", {})]}
_GROUPS = [
    (1, "Role / User", {}), (2, "Role / Portal", {}), (3, "Administration / Settings", {}),
    (4, "Sales / Administrator", {}),
]

_XIDS = [
    (1, "main_company", {"module": "base", "model": "res.company", "res_id": 1}),
    (2, "main_partner", {"module": "base", "model": "res.partner", "res_id": 1}),
    (3, "user_admin", {"module": "base", "model": "res.users", "res_id": 2}),
    (4, "partner_admin", {"module": "base", "model": "res.partner", "res_id": 3}),
]


def defaults(model: str) -> dict:
    """Return every field of a model that has a default, with that default."""
    fields = MODELS[model].fields.values()
    return {f.name: f.default for f in fields if f.default is not NO_DEFAULT}


def blank(model: str) -> dict:
    """Return a stored record with every stored field empty or defaulted."""
    record: dict = {}
    for f in MODELS[model].fields.values():
        if f.store and f.type != "one2many":
            record[f.name] = [] if f.type == "many2many" else False
    record.update(defaults(model))
    record.update(create_date=SEED_DATE, write_date=SEED_DATE)
    return record


def _table(model: str, rows: list[tuple[int, str, dict]], **common: object) -> dict[int, dict]:
    """Build the stored records of one model from (id, name, values) rows."""
    table = {}
    for rid, name, values in rows:
        record = blank(model)
        record.update(common, id=rid, name=name, **values)
        table[rid] = record
    return table


def seed(db: str) -> dict[str, dict[int, dict]]:
    """Return fresh records for every model of a database."""
    return {
        "res.partner": _table("res.partner", _PARTNERS[db], company_id=1),
        "res.partner.category": _table("res.partner.category", _CATEGORIES),
        "product.product": _table("product.product", _PRODUCTS),
        "sale.order": _table("sale.order", _ORDERS[db], company_id=1),
        "res.users": _table("res.users", _USERS),
        "res.company": _table("res.company", _COMPANIES[db]),
        "res.groups": _table("res.groups", _GROUPS),
        "ir.model.data": _table("ir.model.data", _XIDS),
    }
