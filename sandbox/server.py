"""The HTTP side: a threaded server of XML-RPC (/xmlrpc/2/*), /jsonrpc and JSON-2, with failure modes."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import struct
import threading
import time
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from . import json2, jsonrpc, web

HANG_CAP = 60.0
SERVICES = {"/xmlrpc/2/common": "common", "/xmlrpc/2/object": "object"}
_HTML_502 = b"<html><body>Bad Gateway</body></html>"
_HTML_500 = (b"<!doctype html><html><head><title>500 Internal Server Error</title></head>"
             b"<body><h1>Internal Server Error</h1><p>The server encountered an internal error."
             b"</p></body></html>")
_HTML_404 = (b"<!doctype html><html><head><title>404 Not Found</title></head><body>"
             b"<h1>Not Found</h1><p>The requested URL was not found on the server.</p></body>"
             b"</html>")


class Handler(SimpleXMLRPCRequestHandler):
    """One HTTP/1.1 connection: applies latency and failure modes, then dispatches."""

    protocol_version = "HTTP/1.1"
    rpc_paths = tuple(SERVICES)
    server: RPCServer

    def setup(self) -> None:
        """Register the connection so going down can cut it."""
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        """Forget the connection."""
        self.server.track(self.connection, add=False)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet; tests and the demo do not want access logs."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """Odoo's RPC routes accept POST only; reports are GET."""
        if self.path.startswith("/report/pdf/"):
            self._web(b"")
        elif self.path in SERVICES:
            self._send(405, "text/html", b"<h1>Method Not Allowed</h1>")
        else:
            self._send(404, "text/html", _HTML_404)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        """Answer one XML-RPC request, or misbehave as the double's failure mode asks."""
        if web.serves(self.path):
            self._web(self._read_body())
            return
        if (self.path not in SERVICES and self.path != jsonrpc.PATH
                and not json2.serves(self.server.owner, self.path)):
            self._read_body()
            self._send(404, "text/html", _HTML_404)
            return
        body = self._read_body()
        owner = self.server.owner
        owner.received(self.path)
        time.sleep(owner.latency)  # outside every lock, so slow calls overlap
        if owner.failure == "hang":
            owner.released.wait(HANG_CAP)
            if owner.stopping:
                self._reset()
                return
        failure = owner.failure
        if failure == "reset":
            self._reset()
        elif failure == "non_xml":
            self._send(200, "text/html", _HTML_502)
        elif failure == "http_500":
            self._send(500, "text/html", _HTML_500)
        else:
            self._answer(body)

    def _answer(self, body: bytes) -> None:
        """Dispatch an XML-RPC (or JSON-2, or JSON-RPC) body and send the marshalled response."""
        if self.path == jsonrpc.PATH:
            payload = jsonrpc.answer(self.server.owner, body)
            self._send(200, "application/json; charset=utf-8", json.dumps(payload).encode())
            return
        if self.path not in SERVICES:
            status, payload = json2.answer(self.server.owner, self.path, self.headers, body)
            self._send(status, "application/json; charset=utf-8", json.dumps(payload).encode())
            return
        service = SERVICES[self.path]
        response = self.server._marshaled_dispatch(
            body, lambda method, params: self.server.owner.dispatch(service, method, params))
        self._send(200, "text/xml", response)

    def _web(self, body: bytes) -> None:
        """Answer a web route (session login, report), after the latency and failure modes."""
        owner = self.server.owner
        owner.received()
        time.sleep(owner.latency)
        if owner.failure == "hang":
            owner.released.wait(HANG_CAP)
        if owner.failure in ("reset", "hang") or owner.stopping:
            self._reset()
            return
        if self.path.startswith("/report/pdf/"):
            status, kind, payload, headers = web.report(owner, self.path, self.headers)
        else:
            status, kind, payload, headers = web.authenticate(owner, body)
        self._send(status, kind, payload, headers)

    def _read_body(self) -> bytes:
        """Read the request body announced by Content-Length."""
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length) if length else b""
        return self.decode_request_content(data) or b""

    def _send(self, status: int, content_type: str, body: bytes, headers: dict | None = None) -> None:
        """Send a complete response with a Content-Length, keeping the connection alive."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST instead of answering."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop the makefile reference so close() really closes
        self.connection.close()


class RPCServer(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    """A threaded XML-RPC server that remembers its open connections."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 drops bursts of concurrent connects into SYN retries

    def __init__(self, owner: object, address: tuple[str, int]) -> None:
        super().__init__(address, Handler, logRequests=False, allow_none=True,
                         encoding="utf-8")
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def track(self, connection: socket.socket, add: bool) -> None:
        """Add or remove an open connection."""
        with self.connections_lock:
            if add:
                self.connections.add(connection)
            else:
                self.connections.discard(connection)

    def cut_connections(self) -> None:
        """Shut down every open connection, as a dying server process would."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client or a reset
                connection.shutdown(socket.SHUT_RDWR)


class Listener:
    """Owns one listening server and its serving thread; can stop and re-listen on the port."""

    def __init__(self, owner: object, host: str, port: int) -> None:
        self.owner = owner
        self.host = host
        self.port = port
        self.server: RPCServer | None = None
        self.thread: threading.Thread | None = None

    def listen(self) -> None:
        """Bind (to the same port after the first time) and serve in a daemon thread."""
        self.server = RPCServer(self.owner, (self.host, self.port))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={
            "poll_interval": 0.05}, name=f"odoo-double-{self.port}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving, close the listening socket and cut open connections."""
        server, self.server = self.server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.cut_connections()
        if self.thread is not None:
            self.thread.join(timeout=5)

    @property
    def listening(self) -> bool:
        """Whether the socket is currently bound and served."""
        return self.server is not None
