#!/usr/bin/env bash
# upsert: create the partner with external id EXTERNAL_ID, or update it; prints its id and created|updated.
# Needs GATEWAY_URL and API_KEY; optional EXTERNAL_ID (module.name or a bare name) and NAME.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "upsert", "arguments": {"model": "res.partner", "external_id": "${EXTERNAL_ID:-crm.contact_42}", "values": {"name": "${NAME:-Upsert Example Ltd}", "is_company": true}}}
JSON
