"""A local webhook receiver for the tests: records every delivery and answers as told, failing on purpose.

    with Receiver() as hook:
        hook.answers = [503, (429, {"Retry-After": "1"}), 200]   # then 200 for ever
        hook.wait_for(3)                                          # an event, not a sleep
        hook.requests[0].headers["webhook-id"]
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Delivery] = []
        self.answers: list = []  # statuses or (status, headers); empty: 200
        self.hold = threading.Event()  # cleared: requests wait here (a delivery in flight)
        self.hold.set()
        self.connections = 0
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._changed:
                    receiver.requests.append(Delivery({k.lower(): v for k, v in self.headers.items()},
                                                      body, time.time()))
                    answer = receiver.answers.pop(0) if receiver.answers else 200
                    receiver._changed.notify_all()
                receiver.hold.wait(30)
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address) -> bool:  # type: ignore[no-untyped-def]
                receiver.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def wait_for(self, count: int, seconds: float = 20.0) -> list[Delivery]:
        """Block until ``count`` requests arrived; AssertionError after ``seconds``."""
        with self._changed:
            ok = self._changed.wait_for(lambda: len(self.requests) >= count, seconds)
        assert ok, f"{len(self.requests)} of {count} deliveries arrived within {seconds} s"
        return list(self.requests)

    def events(self) -> list[dict]:
        return [e for d in self.requests for e in d.json["events"]]
