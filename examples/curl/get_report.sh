#!/usr/bin/env bash
# get_report: an invoice's PDF saved to OUT (the one Odoo stored, else printed by Odoo now).
# Needs GATEWAY_URL and API_KEY (R on account.move); INVOICE_ID and OUT (a path).
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/reports/account.move/account.report_invoice/$INVOICE_ID" \
  -H "X-API-Key: $API_KEY" -o "$OUT"
