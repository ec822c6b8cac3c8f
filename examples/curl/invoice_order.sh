#!/usr/bin/env bash
# run_wizard: invoice a confirmed sale order (Odoo's "Create Invoice" button); answers the new invoice.
# Needs GATEWAY_URL and API_KEY (scope sale.advance.payment.inv:X(create_invoices)); ORDER_ID.
set -euo pipefail

curl -sS --fail-with-body "$GATEWAY_URL/tools/call" \
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \
  --data @- <<JSON
{"name": "run_wizard", "arguments": {"model": "sale.advance.payment.inv", "method": "create_invoices", "values": {"advance_payment_method": "delivered"}, "active_model": "sale.order", "active_ids": [$ORDER_ID]}}
JSON
