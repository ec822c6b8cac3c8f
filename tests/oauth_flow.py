"""Test helpers for the OAuth sign-in: PKCE pairs, registration, and filling the sign-in page.

``Browserless`` drives the page over HTTP the way a person's browser would: it keeps the CSRF
cookie, reads the hidden fields and submits the form; it works on a Flask test client and on a
``requests.Session`` alike (both answer ``get``/``post`` with ``status_code`` and text).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

REDIRECT = "http://127.0.0.1:8976/callback"
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def pkce() -> tuple[str, str]:
    """A (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def authorize_path(client_id: str, challenge: str, **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "st4te",
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return "/oauth/authorize?" + urlencode(params)


def login_form(odoo_url: str, page: str, scope: str = "*:R", **overrides: str) -> dict[str, Any]:
    """The form a person submits: the page's hidden fields, the Odoo login and a custom scope."""
    return {**hidden_fields(page), "url": odoo_url, "database": "demo", "username": "admin",
            "password": "admin", "scope": "custom", "scope_custom": scope, **overrides}


def body_text(response: Any) -> str:
    data = getattr(response, "text", None)
    return data if isinstance(data, str) else response.get_data(as_text=True)


class Flow:
    """The OAuth steps over a Flask test client, one call each."""

    def __init__(self, client: Any, odoo_url: str) -> None:
        self.client, self.odoo_url = client, odoo_url

    def register(self, redirect_uris: list[str] | None = None) -> str:
        answer = self.client.post("/oauth/register", json={"client_name": "Test client",
                                                           "redirect_uris": redirect_uris or [REDIRECT]})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()["client_id"]

    def page(self, client_id: str, challenge: str, **extra: str) -> Any:
        return self.client.get(authorize_path(client_id, challenge, **extra))

    def sign_in(self, client_id: str, challenge: str, scope: str = "*:R", **form: str) -> Any:
        """Open the page and submit it; answers the POST's response."""
        page = self.page(client_id, challenge)
        assert page.status_code == 200, page.get_data(as_text=True)
        data = login_form(self.odoo_url, page.get_data(as_text=True), scope, **form)
        return self.client.post(authorize_path(client_id, challenge), data=data)

    def code(self, client_id: str, challenge: str, scope: str = "*:R") -> str:
        answer = self.sign_in(client_id, challenge, scope)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return query_of(answer.headers["Location"])["code"]

    def exchange(self, client_id: str, code: str, verifier: str | None, **extra: str) -> Any:
        data = {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                "redirect_uri": REDIRECT, **extra}
        if verifier is not None:
            data["code_verifier"] = verifier
        return self.client.post("/oauth/token", data=data)

    def tokens(self, scope: str = "*:R") -> tuple[str, dict]:
        """A client id and the token answer of a complete sign-in."""
        client_id = self.register()
        verifier, challenge = pkce()
        answer = self.exchange(client_id, self.code(client_id, challenge, scope), verifier)
        assert answer.status_code == 200, answer.get_json()
        return client_id, answer.get_json()

    def refresh(self, client_id: str, refresh_token: str) -> Any:
        return self.client.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": client_id,
                                                      "refresh_token": refresh_token})

    def key_status(self, access_token: str) -> str:
        answer = self.client.post("/auth/validate", json={"api_key": access_token})
        return answer.get_json()["status"]
