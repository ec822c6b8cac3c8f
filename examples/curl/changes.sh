#!/usr/bin/env bash
# changes: sale orders created or changed since CURSOR (first call: since SINCE, or every order).
# Needs GATEWAY_URL and API_KEY; optional CURSOR (the previous answer's cursor) and SINCE (UTC time).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "changes", "arguments": {"model": "sale.order", "fields": ["name", "state", "amount_total"], "cursor": "${CURSOR:-}", "since": "${SINCE:-2000-01-01T00:00:00Z}", "limit": 100}}
JSON
