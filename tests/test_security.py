"""The security suite: one row per attack, each through HTTP against the Odoo double.

Each attack returns the gateway's answer; the table states the HTTP status, the ``status`` code and
whether Odoo may have been contacted (a refused attack must not reach it).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet

from app.core.access.keys import Credentials, KeyClaims, KeyRing
from tests.conftest import SECRET
from tests.test_errors_e2e import assert_error

TOKEN = "minting-token-0123456789abcdef"


@dataclass
class Lab:
    """What an attack may use: the api helper, app factory, the double and monkeypatch."""

    api: Any
    make_app: Callable
    odoo: Any
    monkeypatch: Any

    calls_before_final: int = 0

    def mark(self) -> None:
        """Note the Odoo calls made so far: the attack's final request must add none."""
        self.calls_before_final = len(self.odoo.calls)

    def use(self, **settings: Any) -> None:
        self.api.client = self.make_app(**settings).test_client()

    def sealed(self, secret: bytes = SECRET, ttl: int | None = None, now: float | None = None,
               url: str | None = None) -> str:
        creds = Credentials(url or self.odoo.url, "demo", "admin", "admin")
        return KeyRing((secret,)).seal(KeyClaims.new(creds, "*:RWD", ttl, None, now=now))


ATTACKS: list[tuple[str, Callable[[Lab], Any], int, str]] = []


def attack(http: int, code: str):
    def register(fn: Callable[[Lab], Any]) -> Callable[[Lab], Any]:
        ATTACKS.append((fn.__name__, fn, http, code))
        return fn
    return register


def _search(lab: Lab, key: str | None):
    return lab.api.call(key, "search", model="res.partner")


@attack(401, "auth_failed")
def tampered_key(lab: Lab):
    key = lab.api.key()
    middle = len(key) // 2
    lab.mark()
    return _search(lab, key[:middle] + ("A" if key[middle] != "A" else "B") + key[middle + 1:])


@attack(401, "auth_failed")
def truncated_key(lab: Lab):
    key = lab.api.key()
    lab.mark()
    return _search(lab, key[:-12])


@attack(401, "auth_failed")
def key_sealed_with_a_foreign_secret(lab: Lab):
    return _search(lab, lab.sealed(secret=Fernet.generate_key()))


@attack(401, "auth_failed")
def missing_key(lab: Lab):
    return _search(lab, None)


@attack(401, "key_expired")
def key_past_its_stored_expiry_with_a_fresh_fernet_timestamp(lab: Lab):
    return _search(lab, lab.sealed(ttl=60, now=time.time() - 120))


@attack(401, "key_revoked")
def revoked_key(lab: Lab):
    key = lab.api.key()
    assert lab.api.client.post("/auth/revoke", json={"api_key": key}).status_code == 200
    lab.mark()
    return _search(lab, key)


@attack(401, "auth_failed")
def old_key_after_its_secret_was_removed(lab: Lab):
    old_key = lab.sealed(secret=Fernet.generate_key())
    return _search(lab, old_key)


@attack(403, "url_not_allowed")
def mint_for_the_metadata_ip(lab: Lab):
    return lab.api.generate(url="http://169.254.169.254")


@attack(403, "url_not_allowed")
def mint_for_the_metadata_ip_written_as_a_decimal(lab: Lab):
    return lab.api.generate(url="http://2852039166")


@attack(403, "url_not_allowed")
def mint_for_the_aws_ipv6_metadata_address(lab: Lab):
    return lab.api.generate(url="http://[fd00:ec2::254]")


@attack(403, "url_not_allowed")
def mint_for_an_ipv4_mapped_metadata_address(lab: Lab):
    return lab.api.generate(url="http://[::ffff:169.254.169.254]")


@attack(403, "url_not_allowed")
def mint_for_a_name_that_resolves_to_metadata(lab: Lab):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "metadata.attacker.test":
            return real("169.254.169.254", *args, **kwargs)
        return real(host, *args, **kwargs)

    lab.monkeypatch.setattr(socket, "getaddrinfo", fake)
    return lab.api.generate(url="http://metadata.attacker.test:8069")


@attack(403, "url_not_allowed")
def call_with_a_key_for_the_metadata_ip_minted_offline(lab: Lab):
    return _search(lab, lab.sealed(url="http://169.254.169.254"))


@attack(403, "url_not_allowed")
def mint_for_a_host_outside_allowed_odoo_urls(lab: Lab):
    lab.use(allowed_odoo_urls=("https://*.odoo.com",))
    return lab.api.generate()


@attack(403, "url_not_allowed")
def call_with_a_key_minted_before_allowed_odoo_urls_was_set(lab: Lab):
    key = lab.api.key()
    lab.use(allowed_odoo_urls=("https://*.odoo.com",))
    lab.mark()
    return _search(lab, key)


@attack(200, "")
def mint_and_call_for_an_allowed_host(lab: Lab):
    lab.use(allowed_odoo_urls=(f"http://127.0.0.1:{lab.odoo.port}",))
    return _search(lab, lab.api.key())


@attack(413, "payload_too_large")
def oversize_body(lab: Lab):
    lab.use(max_body_bytes=2048)
    key = lab.api.key()
    lab.mark()
    return lab.api.call(key, "create", model="res.partner", values={"name": "x" * 4096})


@attack(502, "connection_failed")
def oversize_odoo_answer(lab: Lab):
    lab.use(max_response_bytes=4096)
    key = lab.api.key()
    return lab.api.call(key, "search_read", model="res.partner", limit=100)


@attack(401, "auth_failed")
def mint_without_the_minting_token(lab: Lab):
    lab.use(generate_token=TOKEN)
    return lab.api.generate()


@attack(401, "auth_failed")
def mint_with_a_wrong_minting_token(lab: Lab):
    lab.use(generate_token=TOKEN)
    body = {"url": lab.odoo.url, "database": "demo", "username": "admin", "password": "admin"}
    return lab.api.client.post("/auth/generate", json=body,
                               headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})


@attack(401, "auth_failed")
def revoke_someone_elses_key_by_id_without_the_token(lab: Lab):
    lab.use(generate_token=TOKEN)
    return lab.api.client.post("/auth/revoke", json={"key_id": "0123456789abcdef"})


@attack(401, "auth_failed")
def revoke_by_id_when_no_minting_token_exists(lab: Lab):
    return lab.api.client.post("/auth/revoke", json={"key_id": "0123456789abcdef"})


@attack(429, "rate_limited")
def burst_of_calls_with_one_key(lab: Lab):
    lab.use(rate_limit="3/minute")
    key = lab.api.key()
    for _ in range(3):
        assert _search(lab, key).status_code == 200
    lab.mark()
    return _search(lab, key)


@attack(429, "rate_limited")
def burst_of_mints_from_one_address_with_spoofed_forwarded_for(lab: Lab):
    lab.use(generate_rate_limit="2/minute")
    body = {"url": lab.odoo.url, "database": "demo", "username": "admin", "password": "admin"}
    for n in range(2):
        lab.api.client.post("/auth/generate", json=body, headers={"X-Forwarded-For": f"10.0.0.{n}"})
    lab.mark()
    return lab.api.client.post("/auth/generate", json=body, headers={"X-Forwarded-For": "10.0.0.9"})


REFUSED_BEFORE_ODOO = {
    "tampered_key", "truncated_key", "key_sealed_with_a_foreign_secret", "missing_key",
    "key_past_its_stored_expiry_with_a_fresh_fernet_timestamp", "revoked_key",
    "old_key_after_its_secret_was_removed", "mint_for_the_metadata_ip",
    "mint_for_the_metadata_ip_written_as_a_decimal", "mint_for_the_aws_ipv6_metadata_address",
    "mint_for_an_ipv4_mapped_metadata_address", "mint_for_a_name_that_resolves_to_metadata",
    "call_with_a_key_for_the_metadata_ip_minted_offline", "mint_for_a_host_outside_allowed_odoo_urls",
    "call_with_a_key_minted_before_allowed_odoo_urls_was_set", "oversize_body",
    "mint_without_the_minting_token", "mint_with_a_wrong_minting_token",
    "revoke_someone_elses_key_by_id_without_the_token", "revoke_by_id_when_no_minting_token_exists",
    "burst_of_calls_with_one_key", "burst_of_mints_from_one_address_with_spoofed_forwarded_for",
}


@pytest.mark.parametrize(("name", "run", "http", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack(name, run, http, code, api, make_app, odoo, monkeypatch) -> None:
    lab = Lab(api, make_app, odoo, monkeypatch)
    response = run(lab)
    if http == 200:
        assert response.status_code == 200, response.json
        return
    body = assert_error(response, http, code)
    if name in REFUSED_BEFORE_ODOO:
        assert len(odoo.calls) == lab.calls_before_final, "the refused request reached Odoo"
    if http == 429:
        assert int(response.headers["Retry-After"]) >= 1
    assert "Traceback" not in body["error"]


def test_every_attack_is_in_the_table() -> None:
    names = {a[0] for a in ATTACKS}
    assert names >= REFUSED_BEFORE_ODOO and len(names) == len(ATTACKS)
