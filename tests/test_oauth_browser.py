"""The sign-in page in a real headless Chromium: filled, submitted, redirected with a code.

Needs Debian's ``chromium`` and ``chromium-driver`` (installed by .ci/run); skips with a message
only when they are missing. The filled page's screenshot is kept in tests/artifacts/signin.png.
"""

from __future__ import annotations

import pathlib
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.oauth_flow import authorize_path, pkce, query_of
from tests.test_gunicorn import free_port, serving

pytestmark = [pytest.mark.slow, pytest.mark.long]
ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=820,1180")


class _Callback(BaseHTTPRequestHandler):
    """The assistant's redirect target: answers a small page, whatever the query."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Connected</title><p>Connected; you may close this tab.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served(odoo, tmp_path) -> Iterator[str]:
    with serving({"OAUTH_ENABLED": "true", "OAUTH_MAX_SCOPE": "res.partner:RW,*:R",
                                    "OAUTH_DB": str(tmp_path / "oauth.sqlite3"),
                                    "REVOCATION_DB": str(tmp_path / "revoked.sqlite3")}) as base:
        yield base


@pytest.fixture
def browser(tmp_path) -> Iterator:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium "
                    "chromium-driver); the sign-in page was not tried in a browser")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_person_signs_in_with_chromium(served, odoo, callback, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    registered = requests.post(served + "/oauth/register", timeout=10, json={
        "client_name": "Claude", "redirect_uris": [callback]}).json()
    client_id = registered["client_id"]
    verifier, challenge = pkce()
    browser.get(served + authorize_path(client_id, challenge, redirect_uri=callback,
                                        scope="res.partner:RW offline_access"))
    assert "Connect Claude to Odoo" in browser.page_source
    for field, value in (("url", odoo.url), ("database", "demo"), ("username", "admin"),
                         ("password", "admin")):
        browser.find_element(By.ID, field).send_keys(value)
    assert browser.find_element(By.ID, "scope-custom").is_selected()  # the client's wish, preselected
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "signin.png"))
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 20).until(lambda b: b.current_url.startswith(callback))
    assert "Connected" in browser.page_source

    params = query_of(browser.current_url)
    assert params["state"] == "st4te"
    tokens = requests.post(served + "/oauth/token", timeout=10, data={
        "grant_type": "authorization_code", "code": params["code"], "client_id": client_id,
        "redirect_uri": callback, "code_verifier": verifier}).json()
    assert tokens["scope"] == "res.partner:RW"
    called = requests.post(served + "/tools/call", timeout=10, headers={
        "Authorization": f"Bearer {tokens['access_token']}"}, json={
        "name": "search_read", "arguments": {"model": "res.partner", "limit": 1}})
    assert called.status_code == 200, called.text
