#!/usr/bin/env bash
# default_get: the values Odoo would give a new record.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "default_get", "arguments": {"model": "res.partner", "fields": ["active", "type"]}}
JSON
