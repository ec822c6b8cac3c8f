"""A fake Odoo 18 speaking the XML-RPC external API, for tests and demos.

    from sandbox import OdooDouble, DEMO_USERS

    with OdooDouble() as odoo:          # seeded databases "demo" and "other"
        proxy = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object")
        odoo.failure = "hang"           # or "refuse", "non_xml", "reset", "http_500"
        odoo.count(model_method="search_read")
"""

from __future__ import annotations

from .double import OdooDouble
from .rpc import FAILURES, VERSION, Call
from .seed import API_KEYS, DEMO_USERS, PASSWORDS

__all__ = ["API_KEYS", "DEMO_USERS", "FAILURES", "PASSWORDS", "VERSION", "Call", "OdooDouble"]
