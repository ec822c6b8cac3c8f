"""Use cases, free of Flask: gateway, tools, arguments, methods, batches, scopes, keys (imports odoo)."""
