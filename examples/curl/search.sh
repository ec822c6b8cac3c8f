#!/usr/bin/env bash
# search: ids of companies, 5 at most.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "search", "arguments": {"model": "res.partner", "domain": [["is_company", "=", true]], "limit": 5, "order": "name asc"}}
JSON
