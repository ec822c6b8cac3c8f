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
