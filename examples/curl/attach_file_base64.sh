#!/usr/bin/env bash
# attach_file (base64 in JSON): attach "hello world" as hello.txt to a contact.
# Needs GATEWAY_URL and API_KEY (W on res.partner); PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "attach_file", "arguments": {"model": "res.partner", "id": $PARTNER_ID, "filename": "hello.txt", "data": "aGVsbG8gd29ybGQ="}}
JSON
