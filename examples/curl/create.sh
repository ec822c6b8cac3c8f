#!/usr/bin/env bash
# create: a new partner; prints its id.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh); optional NAME.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "create", "arguments": {"model": "res.partner", "values": {"name": "${NAME:-Curl Example Ltd}", "email": "hello@example.com", "is_company": true}}}
JSON
