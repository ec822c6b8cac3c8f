"""A fake Odoo 18 (or 19, with JSON-2) speaking the external API, for tests and demos.

XML-RPC on /xmlrpc/2/{common,object} and the same services in JSON on /jsonrpc (facts/jsonrpc.md).

    from sandbox import OdooDouble, DEMO_USERS

    with OdooDouble() as odoo:          # seeded databases "demo" and "other"
        proxy = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object")
        odoo.failure = "hang"           # or "refuse", "non_xml", "reset", "http_500"
        odoo.count(model_method="search_read")
        odoo.version = "19.0"           # also serve JSON-2 on /json/2/{model}/{method}
        odoo.sent("search_read")        # each call's arguments by name, XML-RPC or JSON-2
"""

from __future__ import annotations

from .double import OdooDouble
from .rpc import FAILURES, VERSION, Call
from .seed import API_KEYS, DEMO_USERS, PASSWORDS

__all__ = ["API_KEYS", "DEMO_USERS", "FAILURES", "PASSWORDS", "VERSION", "Call", "OdooDouble"]
