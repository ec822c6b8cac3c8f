#!/usr/bin/env bash
# read_messages: a contact's chatter, newest first.
# Needs GATEWAY_URL and API_KEY (R on res.partner); PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "read_messages", "arguments": {"model": "res.partner", "id": $PARTNER_ID, "limit": 20}}
JSON
