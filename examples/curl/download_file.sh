#!/usr/bin/env bash
# download_file: one of a contact's files, raw bytes saved to OUT (Content-Type and name in the headers).
# Needs GATEWAY_URL and API_KEY (R on res.partner); PARTNER_ID, ATTACHMENT_ID and OUT (a path).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/files/res.partner/$PARTNER_ID/$ATTACHMENT_ID" \
  -H "X-API-Key: $API_KEY" -o "$OUT"
