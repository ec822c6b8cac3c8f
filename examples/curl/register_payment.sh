#!/usr/bin/env bash
# run_wizard: register the payment of a posted invoice (Odoo's "Pay" button) for its amount due.
# Needs GATEWAY_URL and API_KEY (scope account.payment.register:X(action_create_payments)); INVOICE_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "run_wizard", "arguments": {"model": "account.payment.register", "method": "action_create_payments", "values": {}, "active_model": "account.move", "active_ids": [$INVOICE_ID]}}
JSON
