"""Settings: read from the environment once, checked, frozen.

Every entrypoint (gunicorn, ``flask run``, tests) builds one ``Settings`` and hands it to
``create_app``; a bad value stops the start with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.fernet import Fernet


class ConfigError(ValueError):
    """A configuration variable is missing or has a bad value."""


@dataclass(frozen=True)
class Settings:
    """The service's configuration; see the README's table for each variable."""

    encryption_keys: tuple[bytes, ...] = field(repr=False)
    pool_ttl_minutes: float = 60.0
    pool_max_size: int = 1000
    odoo_timeout_seconds: float = 30.0
    max_limit: int = 1000
    max_body_bytes: int = 1_048_576
    key_default_ttl_seconds: int | None = None
    key_max_ttl_seconds: int | None = None
    log_level: str = "INFO"
    host: str = "0.0.0.0"  # noqa: S104 - a container's service listens on all interfaces
    port: int = 3000
    web_concurrency: int = 2
    gunicorn_threads: int = 8
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), or raise ConfigError."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        return cls(
            encryption_keys=_encryption_keys(env),
            pool_ttl_minutes=reader.number("CONNECTION_POOL_TTL_MINUTES", 60.0, float),
            pool_max_size=reader.number("POOL_MAX_SIZE", 1000, int),
            odoo_timeout_seconds=reader.number("ODOO_TIMEOUT_SECONDS", 30.0, float),
            max_limit=reader.number("MAX_LIMIT", 1000, int),
            max_body_bytes=reader.number("MAX_BODY_BYTES", 1_048_576, int),
            key_default_ttl_seconds=reader.optional_int("KEY_DEFAULT_TTL_SECONDS"),
            key_max_ttl_seconds=reader.optional_int("KEY_MAX_TTL_SECONDS"),
            log_level=reader.log_level("LOG_LEVEL"),
            host=env.get("HOST", "0.0.0.0") or "0.0.0.0",  # noqa: S104
            port=reader.number("PORT", 3000, int, upper=65535),
            web_concurrency=reader.number("WEB_CONCURRENCY", 2, int),
            gunicorn_threads=reader.number("GUNICORN_THREADS", 8, int),
            breaker_failures=reader.number("BREAKER_FAILURES", 5, int),
            breaker_cooldown_seconds=reader.number("BREAKER_COOLDOWN_SECONDS", 30.0, float),
        ).checked()

    def checked(self) -> Settings:
        """Check relations between values; return self."""
        if not self.encryption_keys:
            raise ConfigError("ENCRYPTION_KEY is required (a Fernet key)")
        for secret in self.encryption_keys:
            _check_fernet(secret, "ENCRYPTION_KEY")
        default, most = self.key_default_ttl_seconds, self.key_max_ttl_seconds
        if default and most and default > most:
            raise ConfigError("KEY_DEFAULT_TTL_SECONDS must not exceed KEY_MAX_TTL_SECONDS")
        return self


class _Reader:
    """Parses typed values out of an environment mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def number(self, name: str, default, kind, upper: float | None = None):
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a {kind.__name__}, got {raw!r}") from None
        if value <= 0 or (upper is not None and value > upper):
            raise ConfigError(f"{name} must be positive{' and at most ' + str(upper) if upper else ''}")
        return value

    def optional_int(self, name: str) -> int | None:
        return self.number(name, None, int)

    def log_level(self, name: str) -> str:
        level = self.env.get(name, "INFO").strip().upper() or "INFO"
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"{name} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


def _encryption_keys(env: Mapping[str, str]) -> tuple[bytes, ...]:
    """ENCRYPTION_KEYS (newest first) or the one-key form ENCRYPTION_KEY."""
    name = "ENCRYPTION_KEYS" if env.get("ENCRYPTION_KEYS", "").strip() else "ENCRYPTION_KEY"
    raw = env.get(name, "")
    keys = tuple(part.strip().encode() for part in raw.split(",") if part.strip())
    if not keys:
        raise ConfigError(
            "ENCRYPTION_KEY is required: generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        )
    for secret in keys:
        _check_fernet(secret, name)
    return keys


def _check_fernet(secret: bytes, name: str) -> None:
    try:
        Fernet(secret)
    except (ValueError, TypeError):
        # The message must not echo the value: it is a secret even when malformed.
        raise ConfigError(f"{name} is not a valid Fernet key (32 url-safe base64-encoded bytes)") from None
