"""Rotating ENCRYPTION_KEYS end to end: old and new secrets both open, then the old one goes."""

from __future__ import annotations

from cryptography.fernet import Fernet

from app.base.config import Settings
from tests.test_errors_e2e import assert_error

CALL = {"name": "search_count", "arguments": {"model": "res.partner"}}


def test_rotation_procedure(odoo, make_app) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    login = {"url": odoo.url, "database": "demo", "username": "admin", "password": "admin"}

    # 1. Before: one secret.
    before = make_app(encryption_keys=(old,)).test_client()
    old_key = before.post("/auth/generate", json={**login, "expires_in": 3600}).json

    # 2. ENCRYPTION_KEYS=new,old: new keys are sealed with new, old keys still open.
    both_app = make_app(encryption_keys=(new, old))
    both = both_app.test_client()
    new_key = both.post("/auth/generate", json=login).json["api_key"]
    for key in (old_key["api_key"], new_key):
        assert both.post("/tools/call", json=CALL, headers={"X-API-Key": key}).status_code == 200
    assert Fernet(new).decrypt(new_key.encode())  # sealed with the newest secret

    # 3. Re-seal the old keys still in use (the keys rotate command).
    result = both_app.test_cli_runner().invoke(args=["keys", "rotate", old_key["api_key"]])
    assert result.exit_code == 0, result.output
    rotated = result.output.strip()

    # 4. ENCRYPTION_KEYS=new: keys sealed only with old are refused; re-sealed ones work.
    after = make_app(encryption_keys=(new,)).test_client()
    assert_error(after.post("/tools/call", json=CALL, headers={"X-API-Key": old_key["api_key"]}),
                 401, "auth_failed")
    for key in (rotated, new_key):
        assert after.post("/tools/call", json=CALL, headers={"X-API-Key": key}).status_code == 200
    shown = after.post("/auth/validate", json={"api_key": rotated}).json
    assert (shown["key_id"], shown["expires"]) == (old_key["key_id"], old_key["expires"])


def test_encryption_keys_wins_over_encryption_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings = Settings.from_env({"ENCRYPTION_KEYS": f"{new.decode()}, {old.decode()}",
                                  "ENCRYPTION_KEY": Fernet.generate_key().decode()})
    assert settings.encryption_keys == (new, old)
