"""The OAuth settings: off by default, read from the environment, bad values named at start-up."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.base.config import ConfigError, Settings
from app.core.oauth.flows import pinned_odoo

KEY = Fernet.generate_key().decode()


def test_oauth_defaults() -> None:
    s = Settings.from_env({"ENCRYPTION_KEY": KEY})
    assert (s.oauth_enabled, s.public_url, s.oauth_max_scope, s.oauth_db) == (False, None, "*:R", None)
    assert (s.oauth_access_ttl_seconds, s.oauth_refresh_ttl_seconds, s.oauth_code_ttl_seconds) == (
        3600, 30 * 86400, 60)
    assert (s.oauth_max_clients, s.oauth_rate_limit) == (1000, "20/minute;100/hour")
    assert (s.oauth_register_rate_limit, s.oauth_odoo_database) == ("60/minute", None)


def test_oauth_values_are_read() -> None:
    s = Settings.from_env({
        "ENCRYPTION_KEY": KEY, "OAUTH_ENABLED": "true", "PUBLIC_URL": "https://gw.example.com/",
        "OAUTH_MAX_SCOPE": "res.partner:RW,*:R", "OAUTH_ACCESS_TTL_SECONDS": "600",
        "OAUTH_REFRESH_TTL_SECONDS": "86400", "OAUTH_CODE_TTL_SECONDS": "30", "OAUTH_MAX_CLIENTS": "50",
        "OAUTH_RATE_LIMIT": "5/minute", "OAUTH_DB": "/tmp/o.sqlite3",  # noqa: S108 - only a value
        "OAUTH_REGISTER_RATE_LIMIT": "7/minute", "OAUTH_ODOO_DATABASE": " demo ",
    })
    assert (s.oauth_register_rate_limit, s.oauth_odoo_database) == ("7/minute", "demo")
    assert (s.oauth_enabled, s.public_url, s.oauth_max_scope) == (
        True, "https://gw.example.com", "res.partner:RW,*:R")
    assert (s.oauth_access_ttl_seconds, s.oauth_refresh_ttl_seconds, s.oauth_code_ttl_seconds) == (
        600, 86400, 30)
    assert (s.oauth_max_clients, s.oauth_rate_limit, s.oauth_db) == (50, "5/minute", "/tmp/o.sqlite3")  # noqa: S108


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OAUTH_ENABLED": "maybe"}, "OAUTH_ENABLED"),
        ({"PUBLIC_URL": "gw.example.com"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://gw.example.com/?x=1"}, "PUBLIC_URL"),
        ({"OAUTH_ACCESS_TTL_SECONDS": "0"}, "OAUTH_ACCESS_TTL_SECONDS"),
        ({"OAUTH_CODE_TTL_SECONDS": "3600"}, "OAUTH_CODE_TTL_SECONDS"),
        ({"OAUTH_MAX_CLIENTS": "many"}, "OAUTH_MAX_CLIENTS"),
        ({"OAUTH_RATE_LIMIT": "lots"}, "OAUTH_RATE_LIMIT"),
        ({"OAUTH_REGISTER_RATE_LIMIT": "lots"}, "OAUTH_REGISTER_RATE_LIMIT"),
    ],
)
def test_bad_oauth_values_name_the_variable(env: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({"ENCRYPTION_KEY": KEY, **env})


def test_a_bad_max_scope_stops_the_start(tmp_path) -> None:
    settings = Settings.from_env({"ENCRYPTION_KEY": KEY, "OAUTH_ENABLED": "1", "OAUTH_MAX_SCOPE": "*:RQ",
                                  "OAUTH_DB": str(tmp_path / "o")})
    with pytest.raises(ConfigError, match="OAUTH_MAX_SCOPE"):
        create_app(settings)


@pytest.mark.parametrize(("allowed", "pinned"), [
    (("https://odoo.example.com",), "https://odoo.example.com"),
    (("https://odoo.example.com:443/",), "https://odoo.example.com"),
    (("http://ODOO.lan:8069",), "http://odoo.lan:8069"),
    (("http://[::1]:8069",), "http://[::1]:8069"),
    (("https://*.example.com",), None),
    (("https://a.example.com", "https://b.example.com"), None),
    ((), None),
])
def test_the_pinned_odoo_comes_from_one_allowed_url(allowed, pinned) -> None:
    assert pinned_odoo(allowed) == pinned
