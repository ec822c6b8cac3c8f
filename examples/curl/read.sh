#!/usr/bin/env bash
# read: some fields of records by id.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh); optional PARTNER_IDS, like 1,2,3.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "read", "arguments": {"model": "res.partner", "ids": [${PARTNER_IDS:-1}], "fields": ["name", "email"]}}
JSON
