#!/usr/bin/env bash
# call: post (validate) a draft invoice, as its "Confirm" button does; Odoo answers false.
# Needs GATEWAY_URL and API_KEY (scope account.move:X(action_post)); INVOICE_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "call", "arguments": {"model": "account.move", "method": "action_post", "ids": [$INVOICE_ID]}}
JSON
