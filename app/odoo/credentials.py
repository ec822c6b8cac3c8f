"""Who the gateway calls Odoo as: url, database, login and password (never shown in a repr)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """What the gateway needs to call Odoo as the caller; the password never shows in a repr."""

    url: str
    database: str
    username: str
    password: str = field(repr=False)

    def digest(self) -> str:
        """A stable digest of url, database, username and password: the session pool's key."""
        material = "\x00".join((self.url, self.database, self.username, self.password))
        return hashlib.sha256(material.encode()).hexdigest()

    def public(self) -> dict[str, str]:
        return {"url": self.url, "database": self.database, "username": self.username}
