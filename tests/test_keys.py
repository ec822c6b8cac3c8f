"""Sealing and opening API keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from app.base.errors import AuthFailed, KeyExpired
from app.core.access.keys import Credentials, KeyClaims, KeyRing

CREDS = Credentials("http://odoo.test", "demo", "admin", "s3cret-password")


def claims(ttl: int | None = None, now: float | None = None) -> KeyClaims:
    return KeyClaims.new(CREDS, "*:R", ttl, {"lang": "fr_FR"}, now=now)


def test_roundtrip_keeps_every_claim() -> None:
    ring = KeyRing((Fernet.generate_key(),))
    original = claims(ttl=60)
    opened = ring.open(ring.seal(original))
    assert opened == original
    assert opened.credentials.password == "s3cret-password"
    assert opened.expires_at == original.issued_at + 60
    assert opened.context == {"lang": "fr_FR"}


def test_password_is_not_readable_without_the_secret() -> None:
    token = KeyRing((Fernet.generate_key(),)).seal(claims())
    assert "s3cret" not in token
    assert b"s3cret" not in base64.urlsafe_b64decode(token)


def test_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(claims())


def test_key_ids_are_unique() -> None:
    assert len({claims().key_id for _ in range(100)}) == 100


def tamper(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@pytest.mark.parametrize(
    "mangle",
    [
        tamper,
        lambda t: t[:-10],
        lambda t: t + "x",
        lambda t: "",
        lambda t: "not-a-key",
        lambda t: KeyRing((Fernet.generate_key(),)).seal(claims()),  # foreign secret
        lambda t: Fernet(SECRET).encrypt(b'{"v": 99}').decode(),  # ours, but not a key
        lambda t: Fernet(SECRET).encrypt(b"not json").decode(),
        lambda t: "é" * 50,
        lambda t: "x" * 20_000,
    ],
)
def test_bad_keys_are_refused(mangle) -> None:
    ring = KeyRing((SECRET,))
    with pytest.raises(AuthFailed) as caught:
        ring.open(mangle(ring.seal(claims())))
    assert caught.value.http_status == 401


SECRET = Fernet.generate_key()


def test_expired_key_is_refused_by_its_stored_expiry() -> None:
    ring = KeyRing((SECRET,))
    token = ring.seal(claims(ttl=10, now=1_000))
    assert ring.open(token, now=1_009).key_id
    with pytest.raises(KeyExpired):
        ring.open(token, now=1_010)


def test_rotation_old_and_new_secrets_both_open() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    old_token = KeyRing((old,)).seal(claims())
    both = KeyRing((new, old))
    assert both.open(old_token).credentials == CREDS
    rotated = both.rotate(old_token)
    assert KeyRing((new,)).open(rotated).key_id == both.open(old_token).key_id
    with pytest.raises(AuthFailed):
        KeyRing((new,)).open(old_token)


def test_digest_separates_every_credential_field() -> None:
    base = CREDS.digest()
    assert Credentials("http://odoo.test", "other", "admin", "s3cret-password").digest() != base
    assert Credentials("http://odoo.test", "demo", "admin", "other").digest() != base
    assert Credentials("http://odoo.test", "demo", "adminx", "s3cret-password").digest() != base
    assert Credentials("http://odoo.test", "demo", "admin", "s3cret-password").digest() == base
