"""OAuth behind a path prefix: the documented nginx (deploy/nginx-path-prefix.conf) in front of
gunicorn with ``PUBLIC_URL=http://127.0.0.1:PORT/odoo-gw``, and the official MCP SDK signing in
through it.

The SDK asks for the authorization server's metadata at the host's root first
(``/.well-known/oauth-authorization-server/odoo-gw``, RFC 8414), then the OpenID forms, and
registers at the metadata's ``registration_endpoint`` (at ``/register`` of the root when it found no
metadata). Every one of those must reach the gateway and name URLs under the prefix.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
import requests
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from tests.cluster import _which, free_port, wait_until
from tests.oauth_flow import REDIRECT
from tests.test_gunicorn import serving
from tests.test_oauth_sdk import MemoryStorage, Person

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "nginx-path-prefix.conf"
DOCS = ROOT / "docs" / "oauth.md"


def prefix_conf(prefix: Path, port: int, upstream: str) -> str:
    """deploy/nginx-path-prefix.conf made to run here: paths, port, upstream, an access log."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must enter the private temp dir
    temp = "".join(f"    {kind}_temp_path {prefix}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    log = (f"    log_format paths '$request_method $request_uri $status';\n"
           f"    access_log {prefix}/access.log paths;\n")
    edits = [
        ("worker_processes auto;", f"daemon off;\npid {prefix}/nginx.pid;\n{user}"
                                   f"error_log {prefix}/error.log warn;\nworker_processes 1;"),
        ("http {\n", "http {\n" + temp + log),
        ("server 127.0.0.1:3000;", f"server {upstream};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
    ]
    conf = CONF.read_text()
    for old, new in edits:
        assert conf.count(old) == 1, f"deploy/nginx-path-prefix.conf changed shape: {old!r}"
        conf = conf.replace(old, new)
    return conf


@contextmanager
def nginx(workdir: Path, port: int, upstream: str) -> Iterator[Path]:
    """nginx in the foreground on ``port`` with the documented config; yields its access log."""
    workdir.mkdir(exist_ok=True)
    (workdir / "nginx.conf").write_text(prefix_conf(workdir, port, upstream))
    process = subprocess.Popen(
        [_which("nginx") or "nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir),
         "-e", str(workdir / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        health = f"http://127.0.0.1:{port}/odoo-gw/health"
        wait_until(lambda: requests.get(health, timeout=1).status_code == 200, "nginx", process)
        yield workdir / "access.log"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def proxied(odoo_server, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The public base URL (through nginx, with the prefix) and nginx's access log."""
    if not _which("nginx"):
        pytest.skip("nginx is not installed (.ci/run installs it)")
    workdir = tmp_path_factory.mktemp("prefix")
    port = free_port()
    public = f"http://127.0.0.1:{port}/odoo-gw"
    env = {"OAUTH_ENABLED": "true", "OAUTH_MAX_SCOPE": "*:RW", "PUBLIC_URL": public, "TRUSTED_PROXIES": "1",
           "OAUTH_DB": str(workdir / "oauth.sqlite3"), "REVOCATION_DB": str(workdir / "revoked.sqlite3")}
    with serving(env) as base, nginx(workdir / "nginx", port, base.removeprefix("http://")) as log:
        yield public, log


ROOT_DISCOVERY = ["/.well-known/oauth-authorization-server/odoo-gw",
                  "/.well-known/openid-configuration/odoo-gw"]
PREFIXED_DISCOVERY = ["/odoo-gw/.well-known/oauth-authorization-server",
                      "/odoo-gw/.well-known/openid-configuration"]


@pytest.mark.parametrize("path", ROOT_DISCOVERY + PREFIXED_DISCOVERY)
def test_every_metadata_url_a_client_asks_answers_through_the_proxy(proxied, path) -> None:
    public, _ = proxied
    host = public.removesuffix("/odoo-gw")
    answer = requests.get(host + path, timeout=10)
    assert answer.status_code == 200, answer.text
    metadata = answer.json()
    assert metadata["issuer"] == public
    for name in ("authorization_endpoint", "token_endpoint", "registration_endpoint", "revocation_endpoint"):
        assert metadata[name].startswith(public + "/oauth/"), (name, metadata[name])
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/odoo-gw/mcp",
                                  "/odoo-gw/.well-known/oauth-protected-resource/mcp",
                                  "/odoo-gw/.well-known/oauth-protected-resource"])
def test_the_protected_resource_metadata_answers_through_the_proxy(proxied, path) -> None:
    public, _ = proxied
    answer = requests.get(public.removesuffix("/odoo-gw") + path, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["resource"] == public + "/mcp"
    assert answer.json()["authorization_servers"] == [public]


def test_the_401_names_metadata_under_the_prefix(proxied) -> None:
    public, _ = proxied
    refused = requests.post(public + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                            timeout=10)
    assert refused.status_code == 401
    assert f'resource_metadata="{public}/.well-known/oauth-protected-resource/mcp"' in \
        refused.headers["WWW-Authenticate"]
    metadata = requests.get(f"{public}/.well-known/oauth-protected-resource/mcp", timeout=10)
    assert metadata.status_code == 200


def test_the_sdk_signs_in_through_the_prefix_stripping_proxy(proxied, odoo) -> None:
    public, log = proxied
    storage, person = MemoryStorage(), Person(odoo.url)
    provider = OAuthClientProvider(
        server_url=public + "/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="SDK behind a prefix", redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=person.redirect_handler, callback_handler=person.callback_handler,
    )
    start = log.stat().st_size if log.exists() else 0

    async def main():
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(public + "/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await session.call_tool("search_read", {"model": "res.partner", "limit": 2})

    found = anyio.run(main)
    assert found.is_error is False and found.structured_content["count"] == 2
    assert person.steps and person.steps[0].startswith(public + "/oauth/authorize?")
    assert storage.client is not None and len(storage.history) == 1
    with log.open() as lines:
        lines.seek(start)
        asked = lines.read().splitlines()
    # The SDK's first metadata request is the RFC 8414 one at the root; it was routed, and nothing
    # the SDK asked for was a 404 (no fallback to /register at the root).
    assert "GET /.well-known/oauth-authorization-server/odoo-gw 200" in asked, asked
    assert "POST /odoo-gw/oauth/register 201" in asked, asked
    assert not [line for line in asked if line.endswith(" 404")], asked


MCP_REMOTE_DIRS = (Path.home() / ".cache" / "odoo-gateway-ci" / "npm" / "node_modules" / ".bin",)


def mcp_remote_client() -> str | None:
    """mcp-remote's test client: MCP_REMOTE_CLIENT, on PATH, or where .ci/run installs it."""
    given = os.environ.get("MCP_REMOTE_CLIENT")
    if given:
        return given
    return shutil.which("mcp-remote-client") or shutil.which("mcp-remote-client", path=os.pathsep.join(
        str(folder) for folder in MCP_REMOTE_DIRS))


class Output:
    """A process's output lines, read in a thread; ``wait_for`` a line matching a pattern."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, pattern: str, seconds: float = 60) -> re.Match:
        regex = re.compile(pattern)
        deadline = time.monotonic() + seconds
        with self.changed:
            while True:
                found = next((m for m in map(regex.search, self.lines) if m), None)
                left = deadline - time.monotonic()
                if found or left <= 0 or not self.thread.is_alive():
                    assert found, "\n".join(self.lines[-40:])
                    return found
                self.changed.wait(left)


def callback(location: str) -> int:
    """GET the client's callback; it listens only once it has shown the sign-in URL."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(location, timeout=10).status_code
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_mcp_remote_signs_in_through_the_prefix_stripping_proxy(proxied, odoo, tmp_path) -> None:
    """`mcp-remote` (npm, the stdio bridge of Claude Desktop) through the documented nginx."""
    client = mcp_remote_client()
    if client is None:
        pytest.skip("mcp-remote is not installed (.ci/run installs it with npm when npm is there)")
    public, _ = proxied
    # BROWSER=true: the opener succeeds without a browser; the test reads the URL mcp-remote prints.
    env = {**os.environ, "BROWSER": "true", "MCP_REMOTE_CONFIG_DIR": str(tmp_path)}
    process = subprocess.Popen([client, public + "/mcp", str(free_port())], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               start_new_session=True)
    try:
        output = Output(process)
        url = output.wait_for(re.escape(public) + r"/oauth/authorize\?\S+").group(0)
        location = Person(odoo.url)._sign_in(url)
        assert callback(location) == 200
        output.wait_for(r'"name": "search_read"')
    finally:
        process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        # Its children too (they share the pipe): the reader then sees the end of the output,
        # and is done with the pipe before it is closed (closing it under the reader raised).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        output.thread.join(timeout=10)
        process.stdout.close()


def test_the_docs_show_the_proxy_rules_that_are_tested() -> None:
    """docs/oauth.md's nginx snippet is the tested file's two location blocks, word for word."""
    blocks = re.findall(r"^        (location .*?^        \})$", CONF.read_text(), re.S | re.M)
    assert len(blocks) == 2
    docs = DOCS.read_text()
    for block in blocks:
        dedented = "\n".join(line.removeprefix("        ") for line in block.splitlines())
        dedented = re.sub(r"^\s*#.*\n", "", dedented, flags=re.M)  # the docs explain in prose
        assert dedented in docs, dedented


def test_metadata_for_another_path_is_not_found(make_app, tmp_path) -> None:
    app = make_app(oauth_enabled=True, public_url="https://example.com/odoo-gw",
                   oauth_db=str(tmp_path / "oauth.sqlite3"))
    client = app.test_client()
    for path in ("/.well-known/oauth-authorization-server/other", "/.well-known/openid-configuration/other",
                 "/.well-known/oauth-protected-resource/other/mcp"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.get_json()["error"] == "not_found", path
    served = client.get("/.well-known/oauth-protected-resource/odoo-gw")
    assert served.status_code == 200 and served.get_json()["resource"] == "https://example.com/odoo-gw/mcp"
