#!/usr/bin/env bash
# fields_get: a model's fields with their type and label.
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "fields_get", "arguments": {"model": "res.partner", "attributes": ["string", "type", "required"]}}
JSON
