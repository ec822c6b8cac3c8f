#!/usr/bin/env bash
# write: update records by id.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh); and PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "write", "arguments": {"model": "res.partner", "ids": [$PARTNER_ID], "values": {"phone": "+32 2 555 01 02"}}}
JSON
