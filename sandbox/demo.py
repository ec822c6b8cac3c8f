"""``make demo``: the Odoo sandbox plus the gateway under gunicorn, with a ready API key.

Stops both cleanly on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from cryptography.fernet import Fernet

from sandbox import OdooDouble
from sandbox.receiver import DemoReceiver


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def _wait_healthy(base: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1):  # noqa: S310
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit("the gateway did not become healthy in time")


def _sandbox() -> OdooDouble:
    try:
        return OdooDouble(port=int(os.environ.get("SANDBOX_PORT", "8069"))).start()
    except OSError:
        return OdooDouble().start()  # 8069 is taken: any free port will do


def _interrupt(signum, frame) -> None:  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and SIGTERM both stop cleanly, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    odoo = _sandbox()
    env = dict(os.environ)
    env.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
    env.setdefault("WEB_CONCURRENCY", "2")
    # Webhooks to the demo's own receiver on loopback, a short feed lag, and subscriptions that
    # end with the demo (a file of their own, not the host's default).
    env.setdefault("WEBHOOK_ALLOW_PRIVATE", "true")
    env.setdefault("CHANGES_LAG_SECONDS", "2")
    env.setdefault("WEBHOOK_POLL_SECONDS", "0.5")
    state = tempfile.TemporaryDirectory(prefix="odoo-gateway-demo-")
    env.setdefault("WEBHOOK_DB", os.path.join(state.name, "webhooks.sqlite3"))
    receiver = DemoReceiver().start()
    port = env.setdefault("PORT", "3000")
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env=env,
        # Its own session: Ctrl-C reaches only this script, which stops gunicorn once with SIGTERM
        # (workers hit by the terminal's SIGINT and the master's SIGQUIT at once can deadlock).
        start_new_session=True,
    )
    try:
        _wait_healthy(base, gunicorn)
        minted = _post(base + "/auth/generate", {
            "url": odoo.url, "database": "demo", "username": "admin", "password": "admin",
            "scope": "*:RWDX",
        })
        subscription = _subscribe(base, minted["api_key"], receiver)
        _announce(base, odoo.url, minted["api_key"])
        _announce_webhooks(base, minted["api_key"], subscription)
        gunicorn.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        odoo.stop()
        receiver.stop()
        state.cleanup()
    print("\nStopped the gateway and the Odoo sandbox.")
    return 0


def _subscribe(base: str, api_key: str, receiver: DemoReceiver) -> dict:
    """A subscription of the demo's receiver to contacts; the receiver learns its secret."""
    request = urllib.request.Request(  # noqa: S310
        base + "/subscriptions", headers={"Content-Type": "application/json", "X-API-Key": api_key},
        data=json.dumps({"model": "res.partner", "url": receiver.url, "fields": ["name", "email"],
                         "description": "make demo: printed in this terminal"}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        subscription = json.load(response)
    receiver.secret = subscription["secret"]
    return subscription


def _announce_webhooks(base: str, api_key: str, subscription: dict) -> None:
    print(f"""
 Webhooks: subscription {subscription['id']} delivers contact changes, signed, to a
 receiver in this demo, which prints each one here. Create a contact to see it:
 curl -s {base}/tools/call -H 'X-API-Key: {api_key}' \\
   -d '{{"name": "create", "arguments": {{"model": "res.partner", "values": {{"name": "Hook Demo"}}}}}}'
 Its state:      curl -s {base}/subscriptions/{subscription['id']} -H 'X-API-Key: ...'
 Subscribe your own URL (docs/webhooks.md; private addresses are allowed in the demo only):
 curl -s {base}/subscriptions -H 'X-API-Key: ...' -H 'Content-Type: application/json' \\
   -d '{{"model": "res.partner", "url": "https://your-n8n/webhook/odoo", "fields": ["name"]}}'

 Press Ctrl-C to stop.
==============================================================================
""", flush=True)


def _announce(base: str, odoo_url: str, api_key: str) -> None:
    print(f"""
==============================================================================
 Odoo Gateway is running on {base}
 Odoo sandbox: {odoo_url}  (database demo; users admin/admin, restricted/restricted,
               portal/portal)

 API key (scope *:RWDX, user admin):
 {api_key}

 Try it:
 curl -s {base}/tools/call -H 'X-API-Key: {api_key}' \\
   -d '{{"name": "search_read", "arguments": {{"model": "res.partner",
        "fields": ["name", "email"], "limit": 5}}}}'
""", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
