"""MAX_RESPONSE_BYTES: an Odoo answer past the cap is cut off with 502, even when gzipped."""

from __future__ import annotations

import gzip
import threading
import xmlrpc.client
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.base.errors import ConnectionFailed
from app.odoo.xmlrpc import OdooConnector
from tests.conftest import ADMIN_API_KEY
from tests.test_errors_e2e import assert_error


@pytest.mark.parametrize("transport", ["xmlrpc", "json2"], indirect=True)
def test_oversize_answer_is_502_and_the_next_call_works(api, make_app, transport) -> None:
    api.client = make_app(max_response_bytes=4096).test_client()
    key = api.key(password=ADMIN_API_KEY, transport=transport)
    body = assert_error(api.call(key, "search_read", model="res.partner", limit=100), 502,
                        "connection_failed")
    assert "MAX_RESPONSE_BYTES" in body["error"] and "4096" in body["error"]
    assert api.result(key, "search_count", model="res.partner")["count"] > 0


class _Gzipped(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    size = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = xmlrpc.client.dumps(("x" * self.size,), methodresponse=True).encode()
        packed = gzip.compress(answer)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(packed)))
        self.end_headers()
        self.wfile.write(packed)

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def gzip_server() -> Iterator[type[_Gzipped]]:
    handler = type("Handler", (_Gzipped,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_gzipped_answers_are_capped_after_inflating(gzip_server) -> None:
    connector = OdooConnector(3.0, max_response_bytes=100_000)
    try:
        gzip_server.size = 50_000
        assert connector.version(gzip_server.url) == "x" * 50_000
        gzip_server.size = 5_000_000  # about 5 KB on the wire, 5 MB inflated
        with pytest.raises(ConnectionFailed, match="MAX_RESPONSE_BYTES"):
            connector.version(gzip_server.url)
    finally:
        connector.close()
