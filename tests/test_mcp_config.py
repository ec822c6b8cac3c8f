"""MCP_ALLOWED_ORIGINS: parsed once, checked, naming the variable when wrong."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.base.config import ConfigError, Settings

KEY = Fernet.generate_key().decode()


@pytest.mark.parametrize(("raw", "origins"), [
    ("", ()),
    ("*", ("*",)),
    ("https://app.example, http://localhost:6274/", ("https://app.example", "http://localhost:6274")),
])
def test_allowed_origins_are_read(raw, origins) -> None:
    settings = Settings.from_env({"ENCRYPTION_KEY": KEY, "MCP_ALLOWED_ORIGINS": raw})
    assert settings.mcp_allowed_origins == origins


@pytest.mark.parametrize("raw", ["app.example", "https://app.example/path", "ftp://x", "https://a b"])
def test_bad_origins_name_the_variable(raw) -> None:
    with pytest.raises(ConfigError, match="MCP_ALLOWED_ORIGINS"):
        Settings.from_env({"ENCRYPTION_KEY": KEY, "MCP_ALLOWED_ORIGINS": raw})
