"""The security settings: defaults, values, and fail-fast messages naming the variable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.base.config import ConfigError, Settings

KEY = Fernet.generate_key().decode()


def test_defaults() -> None:
    s = Settings.from_env({"ENCRYPTION_KEY": KEY})
    assert (s.generate_token, s.redis_url, s.revocation_db, s.allowed_odoo_urls) == (None, None, None, ())
    assert (s.allow_private_odoo, s.rate_limit, s.generate_rate_limit) == (False, "600/minute", "10/minute")
    assert (s.trusted_proxies, s.max_response_bytes) == (0, 50 * 1024 * 1024)


def test_values_are_read_and_secrets_hidden() -> None:
    s = Settings.from_env({
        "ENCRYPTION_KEY": KEY, "GENERATE_TOKEN": "t" * 20, "REDIS_URL": "redis://:pw-secret@r:6379/0",
        "ALLOWED_ODOO_URLS": "https://*.odoo.com, http://odoo:8069", "ALLOW_PRIVATE_ODOO": "true",
        "RATE_LIMIT": "5/second;100/minute", "GENERATE_RATE_LIMIT": "1/hour", "TRUSTED_PROXIES": "2",
        "MAX_RESPONSE_BYTES": "1000", "REVOCATION_DB": "/data/revoked.sqlite3",
    })
    assert s.allowed_odoo_urls == ("https://*.odoo.com", "http://odoo:8069")
    assert (s.allow_private_odoo, s.trusted_proxies, s.max_response_bytes) == (True, 2, 1000)
    assert s.revocation_db == "/data/revoked.sqlite3"
    assert "pw-secret" not in repr(s) and "t" * 20 not in repr(s)
    assert set(s.secrets()) == {KEY, "t" * 20, "pw-secret"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("RATE_LIMIT", "lots"), ("GENERATE_RATE_LIMIT", "10 per fortnight"),
     ("ALLOWED_ODOO_URLS", "odoo.example.com"), ("ALLOWED_ODOO_URLS", "https://a.*.com"),
     ("ALLOW_PRIVATE_ODOO", "maybe"), ("TRUSTED_PROXIES", "-1"), ("MAX_RESPONSE_BYTES", "0"),
     ("REDIS_URL", "http://:pw-secret@redis"), ("GENERATE_TOKEN", "short")],
)
def test_bad_values_name_the_variable(name, value) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"ENCRYPTION_KEY": KEY, name: value})
    assert name in str(caught.value)
    assert "pw-secret" not in str(caught.value) and "short" not in str(caught.value)
