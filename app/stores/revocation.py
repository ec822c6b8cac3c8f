"""The revocation list: key ids that must be refused, shared by every worker that checks keys.

``RevocationStore`` is the interface. Two stores implement it:

- ``SqliteRevocationStore`` (default): a SQLite file (``REVOCATION_DB``, default under the system
  temp dir), shared by the workers of one host; read on every check, so a revocation is seen at
  once.
- ``RedisRevocationStore`` (when ``REDIS_URL`` is set): a Redis set shared by every replica, read
  through a local cache of at most one second.

Both fail closed: if the store cannot be read, the check raises and the request fails. Both
offer ``check_writable`` for readiness: a store that can no longer take a revocation is not
ready, even while it can still be read.

The list must outlive the process: in a container, put ``REVOCATION_DB`` on a volume (the
shipped docker-compose.yml mounts one at /var/lib/odoo-gateway), or use Redis with persistence.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from typing import Any, Protocol

from cachetools import TTLCache

from app.stores.sqlite import ProcessConnection

DEFAULT_SQLITE_NAME = "odoo-gateway-revocations.sqlite3"
REDIS_SET = "odoo_gateway:revoked"


class RevocationStore(Protocol):
    """Where revoked key ids live."""

    def revoke(self, key_id: str) -> None:
        """Add ``key_id`` to the list (idempotent)."""

    def is_revoked(self, key_id: str) -> bool:
        """Whether ``key_id`` is on the list."""

    def check_writable(self) -> None:
        """Raise unless a revocation could be written now (nothing is kept)."""

    def close(self) -> None:
        """Release connections."""


class SqliteRevocationStore:
    """Revoked ids in a SQLite file; one connection per process, opened lazily after a fork."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.path.join(tempfile.gettempdir(), DEFAULT_SQLITE_NAME)
        self._db = ProcessConnection(self.path, (
            "CREATE TABLE IF NOT EXISTS revoked (key_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)",
        ))

    def revoke(self, key_id: str) -> None:
        with self._db.use() as db, db:
            db.execute("INSERT OR IGNORE INTO revoked (key_id, revoked_at) VALUES (?, ?)",
                       (key_id, int(time.time())))

    def is_revoked(self, key_id: str) -> bool:
        with self._db.use() as db:
            row = db.execute("SELECT 1 FROM revoked WHERE key_id = ?", (key_id,)).fetchone()
        return row is not None

    def check_writable(self) -> None:
        # A write that is rolled back: it fails on a read-only file, directory or filesystem.
        with self._db.use() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT OR REPLACE INTO revoked (key_id, revoked_at) VALUES ('ready-probe', 0)")
            finally:
                db.execute("ROLLBACK")

    def close(self) -> None:
        self._db.close()


class RedisRevocationStore:
    """Revoked ids in a Redis set, read through a local cache of ``cache_seconds`` (≤ 1 s)."""

    def __init__(self, client: Any, cache_seconds: float = 1.0) -> None:
        self._redis = client
        self._cache: TTLCache[str, bool] = TTLCache(maxsize=65_536, ttl=min(cache_seconds, 1.0))
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> RedisRevocationStore:
        import redis  # only needed when REDIS_URL is set

        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0))

    def revoke(self, key_id: str) -> None:
        self._redis.sadd(REDIS_SET, key_id)
        with self._lock:
            self._cache[key_id] = True

    def is_revoked(self, key_id: str) -> bool:
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        revoked = bool(self._redis.sismember(REDIS_SET, key_id))  # network call: no lock held
        with self._lock:
            self._cache[key_id] = revoked
        return revoked

    def check_writable(self) -> None:
        self._redis.set("odoo_gateway:ready-probe", "1", ex=60)

    def close(self) -> None:
        self._redis.close()


def build_store(redis_url: str | None, sqlite_path: str | None) -> RevocationStore:
    """Redis when ``redis_url`` is set, else SQLite."""
    if redis_url:
        return RedisRevocationStore.from_url(redis_url)
    return SqliteRevocationStore(sqlite_path)
