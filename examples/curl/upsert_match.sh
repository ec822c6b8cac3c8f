#!/usr/bin/env bash
# upsert_match: update the one partner with email EMAIL, or create it (409 when several have it).
# Needs GATEWAY_URL and API_KEY; optional EMAIL and NAME.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "upsert", "arguments": {"model": "res.partner", "match": [["email", "=", "${EMAIL:-ada@example.com}"]], "values": {"name": "${NAME:-Ada Lovelace}", "email": "${EMAIL:-ada@example.com}"}}}
JSON
