#!/usr/bin/env bash
# list_attachments: a contact's files (name, type, size, checksum; never the contents).
# Needs GATEWAY_URL and API_KEY (R on res.partner); PARTNER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/files/res.partner/$PARTNER_ID" -H "X-API-Key: $API_KEY"
