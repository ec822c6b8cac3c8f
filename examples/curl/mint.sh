#!/usr/bin/env bash
# Mint an API key: the gateway checks the login with Odoo and prints {"api_key", "key_id", ...}.
# Needs GATEWAY_URL, ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD; optional SCOPE and EXPIRES_IN.
# (Values are pasted into JSON as they are: a password with a double quote needs escaping.)
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/auth/generate" \
  -H "Content-Type: application/json" \
  --data @- <<JSON
{"url": "$ODOO_URL", "database": "$ODOO_DB", "username": "$ODOO_USER", "password": "$ODOO_PASSWORD", "scope": "${SCOPE:-res.partner:RWD,*:R}", "expires_in": ${EXPIRES_IN:-86400}}
JSON
