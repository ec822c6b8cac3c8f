"""Settings from the environment: defaults, checks, fail-fast messages naming the variable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.base.config import ConfigError, Settings

KEY = Fernet.generate_key().decode()


def test_defaults() -> None:
    s = Settings.from_env({"ENCRYPTION_KEY": KEY})
    assert (s.pool_ttl_minutes, s.pool_max_size, s.odoo_timeout_seconds) == (60, 1000, 30)
    assert (s.max_limit, s.max_body_bytes, s.log_level) == (1000, 1_048_576, "INFO")
    assert (s.host, s.port, s.web_concurrency, s.gunicorn_threads) == ("0.0.0.0", 3000, 2, 8)
    assert KEY not in repr(s)


def test_values_are_read() -> None:
    s = Settings.from_env({
        "ENCRYPTION_KEY": KEY, "POOL_MAX_SIZE": "5", "ODOO_TIMEOUT_SECONDS": "2.5",
        "LOG_LEVEL": "debug", "PORT": "8080", "MAX_LIMIT": "50",
    })
    assert (s.pool_max_size, s.odoo_timeout_seconds, s.log_level, s.port, s.max_limit) == (
        5, 2.5, "DEBUG", 8080, 50)


def test_encryption_keys_newest_first() -> None:
    other = Fernet.generate_key().decode()
    s = Settings.from_env({"ENCRYPTION_KEYS": f"{other}, {KEY}", "ENCRYPTION_KEY": "ignored"})
    assert s.encryption_keys == (other.encode(), KEY.encode())


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": "short"}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": KEY, "POOL_MAX_SIZE": "lots"}, "POOL_MAX_SIZE"),
        ({"ENCRYPTION_KEY": KEY, "POOL_MAX_SIZE": "0"}, "POOL_MAX_SIZE"),
        ({"ENCRYPTION_KEY": KEY, "ODOO_TIMEOUT_SECONDS": "-1"}, "ODOO_TIMEOUT_SECONDS"),
        ({"ENCRYPTION_KEY": KEY, "PORT": "70000"}, "PORT"),
        ({"ENCRYPTION_KEY": KEY, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"ENCRYPTION_KEY": KEY, "MAX_LIMIT": "1.5"}, "MAX_LIMIT"),
        ({"ENCRYPTION_KEY": KEY, "LEAN_ANSWER_BYTES": "0"}, "LEAN_ANSWER_BYTES"),
        ({"ENCRYPTION_KEY": KEY, "LEAN_ANSWER_BYTES": "big"}, "LEAN_ANSWER_BYTES"),
        ({"ENCRYPTION_KEY": KEY, "KEY_DEFAULT_TTL_SECONDS": "100",
          "KEY_MAX_TTL_SECONDS": "10"}, "KEY_DEFAULT_TTL_SECONDS"),
    ],
)
def test_bad_values_name_the_variable(env: dict, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert named in str(caught.value)
    if "ENCRYPTION_KEY" in env:
        assert env["ENCRYPTION_KEY"] not in str(caught.value) or env["ENCRYPTION_KEY"] == KEY


@pytest.mark.parametrize(("raw", "expected"),
                         [(None, 50), ("7", 7), ("0", "MAX_BATCH"), ("many", "MAX_BATCH")])
def test_max_batch(raw: str | None, expected: int | str) -> None:
    env = {"ENCRYPTION_KEY": KEY, **({"MAX_BATCH": raw} if raw is not None else {})}
    if isinstance(expected, int):
        assert Settings.from_env(env).max_batch == expected
    else:
        with pytest.raises(ConfigError, match=expected):
            Settings.from_env(env)
