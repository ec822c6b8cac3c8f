#!/usr/bin/env bash
# attach_file: upload FILE (multipart/form-data, as n8n sends binary data) onto a contact.
# Needs GATEWAY_URL and API_KEY (W on res.partner); PARTNER_ID and FILE (a path).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/files/res.partner/$PARTNER_ID" \
  -H "X-API-Key: $API_KEY" -F "file=@$FILE"
