"""The Odoo side, free of Flask: transports, session pool, breaker, URL policy (imports base only)."""
