#!/usr/bin/env bash
# idempotent_create: create a partner at most once, however often this is retried with the same IDEMPOTENCY_KEY.
# Needs GATEWAY_URL, API_KEY and IDEMPOTENCY_KEY (e.g. from uuidgen); optional NAME.
set -euo pipefail

curl -sS --fail-with-body --retry 3 "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Idempotency-Key: $IDEMPOTENCY_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "create", "arguments": {"model": "res.partner", "values": {"name": "${NAME:-Once Only Ltd}"}}}
JSON
