"""`make demo`'s webhook receiver: prints each delivery it gets, with its signature checked.

A ThreadingHTTPServer on 127.0.0.1 (a free port) that verifies ``webhook-signature`` with the
standardwebhooks library once it knows the subscription's secret, and answers 204 (401 when the
signature is wrong).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class DemoReceiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.receive(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # the lines printed by receive() say enough
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def receive(self, headers: dict, body: bytes) -> int:
        if self.secret is None:
            return 503  # not ready: the gateway retries
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as error:
            print(f" webhook refused: {error}", flush=True)
            return 401
        for event in payload["events"]:
            name = event["data"].get("name") or event["data"].get("display_name") or ""
            print(f" webhook delivered (signature ok, {headers.get('webhook-id')}): {event['type']} "
                  f"{event['model']} {event['id']} {name!r} changed at {event['changed_at']}", flush=True)
        return 204

    def start(self) -> DemoReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
