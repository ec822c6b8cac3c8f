"""The Odoo side, free of Flask: transports, web sessions, pool, breaker, URL policy (imports base only)."""
