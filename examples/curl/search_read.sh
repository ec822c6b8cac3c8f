#!/usr/bin/env bash
# search_read: find records and read their fields in one call (page with offset).
# Needs GATEWAY_URL and API_KEY (mint one with mint.sh); optional SEARCH and OFFSET.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "search_read", "arguments": {"model": "res.partner", "domain": [["name", "ilike", "${SEARCH:-a}"]], "fields": ["name", "email"], "limit": 10, "offset": ${OFFSET:-0}}}
JSON
