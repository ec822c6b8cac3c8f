"""Settings: read from the environment once, checked, frozen.

Every entrypoint (gunicorn, ``flask run``, tests) builds one ``Settings`` and hands it to
``create_app``; a bad value stops the start with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from app.base import jsondepth


class ConfigError(ValueError):
    """A configuration variable is missing or has a bad value."""


@dataclass(frozen=True)
class Settings:
    """The service's configuration; see docs/configuration.md for each variable."""

    encryption_keys: tuple[bytes, ...] = field(repr=False)
    pool_ttl_minutes: float = 60.0
    pool_max_size: int = 1000
    odoo_timeout_seconds: float = 30.0
    max_limit: int = 1000
    max_body_bytes: int = 1_048_576
    max_batch: int = 50
    key_default_ttl_seconds: int | None = None
    key_max_ttl_seconds: int | None = None
    log_level: str = "INFO"
    host: str = "0.0.0.0"  # noqa: S104 - a container's service listens on all interfaces
    port: int = 3000
    web_concurrency: int = 2
    gunicorn_threads: int = 8
    # Security and key lifecycle (docs/security.md).
    generate_token: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    revocation_db: str | None = None
    rate_limit_db: str | None = None
    max_json_depth: int = 32
    allowed_odoo_urls: tuple[str, ...] = ()
    allow_private_odoo: bool = False
    rate_limit: str = "600/minute"
    generate_rate_limit: str = "10/minute"
    trusted_proxies: int = 0
    max_response_bytes: int = 50 * 1024 * 1024
    mcp_allowed_origins: tuple[str, ...] = ()  # browser Origins allowed on /mcp; "*" allows any
    lean_answer_bytes: int = 50_000  # lean answers (MCP's default): records cut to this JSON size
    log_format: str = "text"
    metrics_enabled: bool = True
    metrics_dir: str | None = None
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30.0
    breaker_first_probe_seconds: float = 1.0
    # Files and PDF reports (docs/automations.md).
    file_max_bytes: int = 10 * 1024 * 1024
    report_timeout_seconds: float = 60.0
    # Change feed and idempotent retries (docs/automations-feed.md).
    changes_lag_seconds: float = 10.0
    idempotency_ttl_seconds: int = 86_400
    idempotency_db: str | None = None
    idempotency_max_entries: int = 100_000
    idempotency_max_answer_bytes: int = 1_048_576
    idempotency_wait_seconds: float = 60.0
    # OAuth 2.1 sign-in for hosted MCP clients (docs/oauth.md); off by default.
    oauth_enabled: bool = False
    public_url: str | None = None  # https://gateway.example.com: issuer and metadata URLs
    oauth_max_scope: str = "*:R"
    oauth_access_ttl_seconds: int = 3600
    oauth_refresh_ttl_seconds: int = 30 * 86400
    oauth_code_ttl_seconds: int = 60
    oauth_max_clients: int = 1000
    oauth_rate_limit: str = "20/minute;100/hour"  # refused sign-ins per address
    oauth_register_rate_limit: str = "60/minute"  # registrations per address
    oauth_odoo_database: str | None = None  # the database the sign-in page uses without asking
    oauth_db: str | None = None
    # Webhook subscriptions: signed, retried deliveries of record changes (docs/webhooks.md).
    webhooks_enabled: bool = True
    webhook_allowed_urls: tuple[str, ...] = ()
    webhook_allow_private: bool = False
    webhook_db: str | None = None
    webhook_poll_seconds: float = 2.0
    webhook_batch_size: int = 50
    webhook_timeout_seconds: float = 10.0
    webhook_max_answer_bytes: int = 65_536
    webhook_retry_seconds: float = 86_400.0
    webhook_backoff_seconds: float = 1.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_lease_seconds: float = 30.0
    webhook_max_per_key: int = 20

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
            max_batch=reader.number("MAX_BATCH", 50, int),
            key_default_ttl_seconds=reader.optional_int("KEY_DEFAULT_TTL_SECONDS"),
            key_max_ttl_seconds=reader.optional_int("KEY_MAX_TTL_SECONDS"),
            log_level=reader.log_level("LOG_LEVEL"),
            host=env.get("HOST", "0.0.0.0") or "0.0.0.0",  # noqa: S104
            port=reader.number("PORT", 3000, int, upper=65535),
            web_concurrency=reader.number("WEB_CONCURRENCY", 2, int),
            gunicorn_threads=reader.number("GUNICORN_THREADS", 8, int),
            generate_token=env.get("GENERATE_TOKEN", "").strip() or None,
            redis_url=env.get("REDIS_URL", "").strip() or None,
            revocation_db=env.get("REVOCATION_DB", "").strip() or None,
            rate_limit_db=reader.file_in_writable_dir("RATE_LIMIT_DB"),
            max_json_depth=reader.number("MAX_JSON_DEPTH", 32, int, upper=jsondepth.MOST),
            allowed_odoo_urls=reader.items("ALLOWED_ODOO_URLS"),
            allow_private_odoo=reader.boolean("ALLOW_PRIVATE_ODOO"),
            rate_limit=env.get("RATE_LIMIT", "").strip() or "600/minute",
            generate_rate_limit=env.get("GENERATE_RATE_LIMIT", "").strip() or "10/minute",
            trusted_proxies=reader.number("TRUSTED_PROXIES", 0, int),
            max_response_bytes=reader.number("MAX_RESPONSE_BYTES", 50 * 1024 * 1024, int),
            mcp_allowed_origins=_origins(env.get("MCP_ALLOWED_ORIGINS", "")),
            lean_answer_bytes=reader.number("LEAN_ANSWER_BYTES", 50_000, int),
            log_format=reader.choice("LOG_FORMAT", "text", ("text", "json")),
            metrics_enabled=reader.flag("METRICS_ENABLED", True),
            metrics_dir=reader.directory("PROMETHEUS_MULTIPROC_DIR"),
            breaker_failures=reader.number("BREAKER_FAILURES", 5, int),
            breaker_cooldown_seconds=reader.number("BREAKER_COOLDOWN_SECONDS", 30.0, float),
            breaker_first_probe_seconds=reader.number("BREAKER_FIRST_PROBE_SECONDS", 1.0, float),
            file_max_bytes=reader.number("FILE_MAX_BYTES", 10 * 1024 * 1024, int),
            report_timeout_seconds=reader.number("REPORT_TIMEOUT_SECONDS", 60.0, float),
            changes_lag_seconds=reader.number("CHANGES_LAG_SECONDS", 10.0, float, upper=3600),
            idempotency_ttl_seconds=reader.number("IDEMPOTENCY_TTL_SECONDS", 86_400, int),
            idempotency_db=env.get("IDEMPOTENCY_DB", "").strip() or None,
            idempotency_max_entries=reader.number("IDEMPOTENCY_MAX_ENTRIES", 100_000, int),
            idempotency_max_answer_bytes=reader.number("IDEMPOTENCY_MAX_ANSWER_BYTES", 1_048_576, int),
            idempotency_wait_seconds=reader.number("IDEMPOTENCY_WAIT_SECONDS", 60.0, float),
            oauth_enabled=reader.boolean("OAUTH_ENABLED"),
            public_url=_public_url(env.get("PUBLIC_URL", "")),
            oauth_max_scope=env.get("OAUTH_MAX_SCOPE", "").strip() or "*:R",
            oauth_access_ttl_seconds=reader.number("OAUTH_ACCESS_TTL_SECONDS", 3600, int),
            oauth_refresh_ttl_seconds=reader.number("OAUTH_REFRESH_TTL_SECONDS", 30 * 86400, int),
            oauth_code_ttl_seconds=reader.number("OAUTH_CODE_TTL_SECONDS", 60, int, upper=600),
            oauth_max_clients=reader.number("OAUTH_MAX_CLIENTS", 1000, int),
            oauth_rate_limit=env.get("OAUTH_RATE_LIMIT", "").strip() or "20/minute;100/hour",
            oauth_register_rate_limit=env.get("OAUTH_REGISTER_RATE_LIMIT", "").strip() or "60/minute",
            oauth_odoo_database=env.get("OAUTH_ODOO_DATABASE", "").strip() or None,
            oauth_db=env.get("OAUTH_DB", "").strip() or None,
            **_webhook_settings(env, reader),
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
        _check_security(self)
        return self

    def secrets(self) -> list[str]:
        """Every configured secret, for the log redaction filter."""
        found = [s.decode() for s in self.encryption_keys]
        if self.generate_token:
            found.append(self.generate_token)
        password = urlsplit(self.redis_url).password if self.redis_url else None
        if password:
            found.append(password)
        return found


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
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
        if value <= 0 or (upper is not None and value > upper):
            raise ConfigError(f"{name} must be positive{' and at most ' + str(upper) if upper else ''}")
        return value

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.env.get(name, "").split(",") if part.strip())

    def boolean(self, name: str) -> bool:
        raw = self.env.get(name, "").strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def optional_int(self, name: str) -> int | None:
        return self.number(name, None, int)

    def log_level(self, name: str) -> str:
        level = self.env.get(name, "INFO").strip().upper() or "INFO"
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"{name} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.env.get(name, "").strip().lower() or default
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        return self.boolean(name) if self.env.get(name, "").strip() else default

    def file_in_writable_dir(self, name: str) -> str | None:
        path = self.env.get(name, "").strip()
        parent = os.path.dirname(os.path.abspath(path))
        if path and not (os.path.isdir(parent) and os.access(parent, os.W_OK)):
            raise ConfigError(f"{name} must be a file in an existing writable directory, got {path!r}")
        return path or None

    def directory(self, name: str) -> str | None:
        path = self.env.get(name, "").strip()
        if path and not (os.path.isdir(path) and os.access(path, os.W_OK)):
            raise ConfigError(f"{name} must be an existing writable directory, got {path!r}")
        return path or None


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


def _check_security(settings: Settings) -> None:
    """Rate limits parse, URL patterns parse, the Redis URL is a Redis URL."""
    from limits import parse_many

    from app.base.urls import parse_pattern

    for name, value in (("RATE_LIMIT", settings.rate_limit),
                        ("GENERATE_RATE_LIMIT", settings.generate_rate_limit),
                        ("OAUTH_RATE_LIMIT", settings.oauth_rate_limit),
                        ("OAUTH_REGISTER_RATE_LIMIT", settings.oauth_register_rate_limit)):
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"{name} must look like '600/minute' or '10/second;100/hour', "
                              f"got {value!r}") from None
    for name, patterns in (("ALLOWED_ODOO_URLS", settings.allowed_odoo_urls),
                           ("WEBHOOK_ALLOWED_URLS", settings.webhook_allowed_urls)):
        for pattern in patterns:
            try:
                parse_pattern(pattern)
            except ValueError as error:
                raise ConfigError(f"{name}: {error}") from None
    if settings.webhook_lease_seconds <= settings.webhook_timeout_seconds:
        # A delivery in flight must end before its lease does, or another worker would send it too.
        raise ConfigError("WEBHOOK_LEASE_SECONDS must be longer than WEBHOOK_TIMEOUT_SECONDS")
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss", "unix"):
        # The message must not echo the URL: it may carry a password.
        raise ConfigError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    if settings.generate_token is not None and len(settings.generate_token) < 16:
        raise ConfigError("GENERATE_TOKEN must be at least 16 characters long")
    if settings.trusted_proxies < 0:
        raise ConfigError("TRUSTED_PROXIES must be a number of proxy hops (0 or more)")


def _webhook_settings(env: Mapping[str, str], reader: _Reader) -> dict:
    """WEBHOOK_*: subscriptions' URL policy, storage, polling, retries and leases."""
    return {
        "webhooks_enabled": reader.flag("WEBHOOKS_ENABLED", True),
        "webhook_allowed_urls": reader.items("WEBHOOK_ALLOWED_URLS"),
        "webhook_allow_private": reader.boolean("WEBHOOK_ALLOW_PRIVATE"),
        "webhook_db": env.get("WEBHOOK_DB", "").strip() or None,
        "webhook_poll_seconds": reader.number("WEBHOOK_POLL_SECONDS", 2.0, float, upper=3600),
        "webhook_batch_size": reader.number("WEBHOOK_BATCH_SIZE", 50, int, upper=1000),
        "webhook_timeout_seconds": reader.number("WEBHOOK_TIMEOUT_SECONDS", 10.0, float, upper=300),
        "webhook_max_answer_bytes": reader.number("WEBHOOK_MAX_ANSWER_BYTES", 65_536, int),
        "webhook_retry_seconds": reader.number("WEBHOOK_RETRY_SECONDS", 86_400.0, float),
        "webhook_backoff_seconds": reader.number("WEBHOOK_BACKOFF_SECONDS", 1.0, float),
        "webhook_backoff_max_seconds": reader.number("WEBHOOK_BACKOFF_MAX_SECONDS", 3600.0, float),
        "webhook_lease_seconds": reader.number("WEBHOOK_LEASE_SECONDS", 30.0, float, upper=3600),
        "webhook_max_per_key": reader.number("WEBHOOK_MAX_PER_KEY", 20, int),
    }


def _check_fernet(secret: bytes, name: str) -> None:
    try:
        Fernet(secret)
    except (ValueError, TypeError):
        # The message must not echo the value: it is a secret even when malformed.
        raise ConfigError(f"{name} is not a valid Fernet key (32 url-safe base64-encoded bytes)") from None


def _origins(raw: str) -> tuple[str, ...]:
    """MCP_ALLOWED_ORIGINS: comma-separated origins like https://app.example.com, or *."""
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not re.match(r"^https?://[^/?#\s]+$", origin):
            raise ConfigError(
                f"MCP_ALLOWED_ORIGINS has {origin!r}: use origins like https://app.example.com, or *"
            )
    return origins


def _public_url(raw: str) -> str | None:
    """PUBLIC_URL: where clients reach the gateway, like https://gateway.example.com (no query)."""
    url = raw.strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username is not None:
        raise ConfigError(f"PUBLIC_URL must be an http(s) URL like https://gateway.example.com, got {url!r}")
    return url
