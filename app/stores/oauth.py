"""OAuth state with time limits: registered clients, one-time codes, used refresh tokens, chains.

A small key-value interface with TTLs, so that the flows (``app.core.oauth.flows``) read the same on
both stores; every entry expires, and values are opaque strings (sealed by the caller when they
carry secrets):

- ``SqliteOAuthStore`` (default): a SQLite file (``OAUTH_DB``, default under the system temp dir)
  shared by the workers of one host; expired rows are purged as new ones are written.
- ``RedisOAuthStore`` (when ``REDIS_URL`` is set): Redis keys with expiries, shared by replicas.

``claim`` is the one atomic step the flows need: it writes an entry only if none lives yet, and
says whether it did, so a code or a refresh token is accepted once across every worker.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Protocol

from app.stores.sqlite import ProcessConnection

DEFAULT_SQLITE_NAME = "odoo-gateway-oauth.sqlite3"
REDIS_PREFIX = "odoo_gateway:oauth:"


class OAuthStore(Protocol):
    """Entries ``(kind, key) -> value`` and sets ``(kind, key) -> {item}``, each with a TTL."""

    def put(self, kind: str, key: str, value: str, ttl: int) -> None:
        """Write an entry, replacing a live one."""

    def get(self, kind: str, key: str) -> str | None:
        """A live entry's value, or None."""

    def claim(self, kind: str, key: str, value: str, ttl: int) -> bool:
        """Write an entry unless a live one exists; True when this call wrote it."""

    def count(self, kind: str) -> int:
        """How many live entries of ``kind`` exist."""

    def add(self, kind: str, key: str, item: str, ttl: int) -> None:
        """Add ``item`` to a set, which lives ``ttl`` seconds from now."""

    def members(self, kind: str, key: str) -> list[str]:
        """The live items of a set."""

    def close(self) -> None:
        """Release connections."""


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " expires_at REAL NOT NULL, PRIMARY KEY (kind, key))",
    "CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at)",
    "CREATE TABLE IF NOT EXISTS members (kind TEXT NOT NULL, key TEXT NOT NULL, item TEXT NOT NULL,"
    " expires_at REAL NOT NULL, PRIMARY KEY (kind, key, item))",
    "CREATE INDEX IF NOT EXISTS members_expiry ON members (expires_at)",
)


class SqliteOAuthStore:
    """Entries in a SQLite file shared by the workers of one host."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.path.join(tempfile.gettempdir(), DEFAULT_SQLITE_NAME)
        self._db = ProcessConnection(self.path, _SCHEMA)

    def put(self, kind: str, key: str, value: str, ttl: int) -> None:
        now = time.time()
        with self._db.use() as db, db:
            self._purge(db, now)
            db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", (kind, key, value, now + ttl))

    def get(self, kind: str, key: str) -> str | None:
        with self._db.use() as db:
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ? AND expires_at > ?",
                             (kind, key, time.time())).fetchone()
        return row[0] if row else None

    def claim(self, kind: str, key: str, value: str, ttl: int) -> bool:
        now = time.time()
        with self._db.use() as db, db:
            db.execute("DELETE FROM entries WHERE kind = ? AND key = ? AND expires_at <= ?", (kind, key, now))
            cursor = db.execute("INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?)",
                                (kind, key, value, now + ttl))
            return cursor.rowcount == 1

    def count(self, kind: str) -> int:
        with self._db.use() as db:
            row = db.execute("SELECT COUNT(*) FROM entries WHERE kind = ? AND expires_at > ?",
                             (kind, time.time())).fetchone()
        return int(row[0])

    def add(self, kind: str, key: str, item: str, ttl: int) -> None:
        now = time.time()
        with self._db.use() as db, db:
            db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", (kind, key, item, now + ttl))
            db.execute("UPDATE members SET expires_at = ? WHERE kind = ? AND key = ?", (now + ttl, kind, key))

    def members(self, kind: str, key: str) -> list[str]:
        with self._db.use() as db:
            rows = db.execute("SELECT item FROM members WHERE kind = ? AND key = ? AND expires_at > ?",
                              (kind, key, time.time())).fetchall()
        return sorted(row[0] for row in rows)

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _purge(db: Any, now: float) -> None:
        db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,))
        db.execute("DELETE FROM members WHERE expires_at <= ?", (now,))


class RedisOAuthStore:
    """Entries as Redis keys with expiries; a sorted set per kind counts the live entries."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisOAuthStore:
        import redis  # only needed when REDIS_URL is set

        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0))

    def put(self, kind: str, key: str, value: str, ttl: int) -> None:
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.set(_name(kind, key), value, ex=ttl)
        pipe.zremrangebyscore(_name("index", kind), "-inf", now)  # the index stays as small as the kind
        pipe.zadd(_name("index", kind), {key: now + ttl})
        pipe.execute()

    def get(self, kind: str, key: str) -> str | None:
        value = self._redis.get(_name(kind, key))
        return value.decode() if isinstance(value, bytes) else value

    def claim(self, kind: str, key: str, value: str, ttl: int) -> bool:
        return bool(self._redis.set(_name(kind, key), value, ex=ttl, nx=True))

    def count(self, kind: str) -> int:
        index = _name("index", kind)
        self._redis.zremrangebyscore(index, "-inf", time.time())
        return int(self._redis.zcard(index))

    def add(self, kind: str, key: str, item: str, ttl: int) -> None:
        pipe = self._redis.pipeline()
        pipe.sadd(_name(kind, key), item)
        pipe.expire(_name(kind, key), ttl)
        pipe.execute()

    def members(self, kind: str, key: str) -> list[str]:
        items = self._redis.smembers(_name(kind, key))
        return sorted(i.decode() if isinstance(i, bytes) else i for i in items)

    def close(self) -> None:
        self._redis.close()


def _name(kind: str, key: str) -> str:
    return f"{REDIS_PREFIX}{kind}:{key}"


def build_oauth_store(redis_url: str | None, sqlite_path: str | None) -> OAuthStore:
    """Redis when ``redis_url`` is set, else SQLite."""
    if redis_url:
        return RedisOAuthStore.from_url(redis_url)
    return SqliteOAuthStore(sqlite_path)
