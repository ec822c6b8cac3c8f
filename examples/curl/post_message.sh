#!/usr/bin/env bash
# post_message: an internal note on a contact's chatter (kind "comment" sends a message instead).
# Needs GATEWAY_URL and API_KEY (W on res.partner); PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "post_message", "arguments": {"model": "res.partner", "id": $PARTNER_ID, "body": "Called: wants a quote by Friday.", "kind": "note"}}
JSON
