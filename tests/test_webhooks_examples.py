"""The shipped n8n receiver (examples/n8n/webhook-receive-changes.json): its Code node, run by Node.js
as n8n runs it, verifies a real delivery's signature and refuses a tampered or stale one; and the
Python verification of docs/webhooks.md, with the standardwebhooks library."""

from __future__ import annotations

import base64
import json
import pathlib
import shutil
import subprocess
import time

import pytest
from standardwebhooks.webhooks import Webhook

from app.core.automations.webhook_http import new_secret, sign

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "n8n" / "webhook-receive-changes.json"
# Enough of n8n's Code node ("Run Once for All Items"): $('Node').first(), this.helpers.getBinaryDataBuffer.
HARNESS = r"""
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const nodes = { Webhook: input.webhook, Settings: { json: { webhook_secret: input.secret } } };
const $ = (name) => ({ first: () => nodes[name] });
const helpers = {  // n8n 2.8.4 keeps a raw body inline (base64); this is for bodies kept on disk
  getBinaryDataBuffer: async (i, prop) => Buffer.from(input.webhook.binary[prop].data, 'base64'),
};
// No require: n8n's Code node refuses require('crypto') unless NODE_FUNCTION_ALLOW_BUILTIN says so.
const run = new (Object.getPrototypeOf(async function () {}).constructor)('$', 'require', input.code);
const refuse = (name) => { throw new Error(`Module '${name}' is disallowed`); };
run.call({ helpers }, $, refuse).then((out) => process.stdout.write(JSON.stringify(out)));
"""


def code_node() -> str:
    workflow = json.loads(EXAMPLE.read_text())
    webhook = next(n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.webhook")
    assert webhook["parameters"]["options"]["rawBody"] is True  # the Code node needs the bytes as sent
    assert workflow["connections"]["Webhook"]["main"][0][0]["node"] == "Settings"
    return next(n for n in workflow["nodes"] if n["name"] == "Verify signature")["parameters"]["jsCode"]


def run_code(secret: str, headers: dict, body: bytes) -> list[dict]:
    webhook = {"json": {"headers": headers, "body": json.loads(body)},
               "binary": {"data": {"data": base64.b64encode(body).decode(), "mimeType": "application/json"}}}
    done = subprocess.run(["node", "-e", HARNESS], capture_output=True, text=True, timeout=30,
                          input=json.dumps({"code": code_node(), "secret": secret, "webhook": webhook}))
    assert done.returncode == 0, done.stderr
    return [item["json"] for item in json.loads(done.stdout)]


def delivery(secret: str, stamp: int | None = None) -> tuple[dict, bytes]:
    # Non-ASCII and a float: the bytes as sent must be verified, not a re-serialisation.
    body = json.dumps({"subscription": "sub_1", "model": "res.partner", "events": [
        {"type": "created", "model": "res.partner", "id": 7, "data": {"id": 7, "name": "Zoë", "x": 1.0},
         "changed_at": "2026-12-06T02:00:00Z"}]}, separators=(",", ":")).encode()
    stamp = int(time.time()) if stamp is None else stamp
    return {"webhook-id": "msg_1", "webhook-timestamp": str(stamp),
            "webhook-signature": sign(secret, "msg_1", stamp, body)}, body


@pytest.mark.skipif(shutil.which("node") is None, reason="the n8n Code node runs on Node.js")
def test_the_n8n_code_node_accepts_a_signed_delivery_and_refuses_others() -> None:
    secret = new_secret()
    headers, body = delivery(secret)
    items = run_code(secret, headers, body)
    assert items == [{"valid": True, "webhook_id": "msg_1", "type": "created", "model": "res.partner",
                      "id": 7, "data": {"id": 7, "name": "Zoë", "x": 1.0},
                      "changed_at": "2026-12-06T02:00:00Z"}]
    assert run_code(secret, headers, body.replace(b"7", b"8"))[0]["valid"] is False  # tampered
    assert run_code(new_secret(), headers, body)[0]["valid"] is False  # another subscription's secret
    old_headers, old_body = delivery(secret, stamp=int(time.time()) - 600)
    assert run_code(secret, old_headers, old_body)[0]["valid"] is False  # replayed long after


def test_python_verification_as_documented() -> None:
    secret = new_secret()
    headers, body = delivery(secret)
    assert Webhook(secret).verify(body, headers)["events"][0]["id"] == 7
