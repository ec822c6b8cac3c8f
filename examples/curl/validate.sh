#!/usr/bin/env bash
# validate: is the key usable, and what does it grant? (never shows the password)
# Needs GATEWAY_URL and API_KEY.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/auth/validate" \
  -H "Content-Type: application/json" \
  --data @- <<JSON
{"api_key": "$API_KEY"}
JSON
