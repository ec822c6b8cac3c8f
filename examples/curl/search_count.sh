#!/usr/bin/env bash
# search_count: how many records match a domain.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "search_count", "arguments": {"model": "res.partner", "domain": [["is_company", "=", true]]}}
JSON
