"""The change-feed and idempotency settings: read from the environment, a bad value names its variable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.base.config import ConfigError, Settings

KEY = Fernet.generate_key().decode()
GIVEN = {"CHANGES_LAG_SECONDS": "2.5", "IDEMPOTENCY_TTL_SECONDS": "60", "IDEMPOTENCY_DB": "store.sqlite3",
         "IDEMPOTENCY_MAX_ENTRIES": "10", "IDEMPOTENCY_MAX_ANSWER_BYTES": "100",
         "IDEMPOTENCY_WAIT_SECONDS": "5"}


def values(settings: Settings) -> tuple:
    return (settings.changes_lag_seconds, settings.idempotency_ttl_seconds, settings.idempotency_db,
            settings.idempotency_max_entries, settings.idempotency_max_answer_bytes,
            settings.idempotency_wait_seconds)


def test_defaults_and_values() -> None:
    assert values(Settings.from_env({"ENCRYPTION_KEY": KEY})) == (10.0, 86400, None, 100_000, 1_048_576, 60.0)
    given = Settings.from_env({"ENCRYPTION_KEY": KEY, **GIVEN})
    assert values(given) == (2.5, 60, "store.sqlite3", 10, 100, 5.0)


@pytest.mark.parametrize(("name", "value"), [
    ("CHANGES_LAG_SECONDS", "soon"), ("CHANGES_LAG_SECONDS", "7200"), ("IDEMPOTENCY_TTL_SECONDS", "0"),
    ("IDEMPOTENCY_MAX_ENTRIES", "-1"), ("IDEMPOTENCY_MAX_ANSWER_BYTES", "1.5"),
    ("IDEMPOTENCY_WAIT_SECONDS", "x"),
])
def test_a_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"ENCRYPTION_KEY": KEY, name: value})
