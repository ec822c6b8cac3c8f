#!/usr/bin/env bash
# unlink: delete records by id (the key needs the D letter on the model).
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh); and PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "unlink", "arguments": {"model": "res.partner", "ids": [$PARTNER_ID]}}
JSON
