"""The revocation list: key ids that must be refused, shared by every worker that checks keys.

``RevocationStore`` is the interface. Two stores implement it:

- ``SqliteRevocationStore`` (default): a SQLite file (``REVOCATION_DB``, default under the system
  temp dir), shared by the workers of one host; read on every check (one connection per thread,
  no lock shared by requests), so a revocation is seen at once.
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
import sqlite3
import tempfile
import threading
import time
from typing import Any, Protocol

from cachetools import TTLCache

DEFAULT_SQLITE_NAME = "odoo-gateway-revocations.sqlite3"
REDIS_SET = "odoo_gateway:revoked"
_MAX_KNOWN = 65_536  # answers remembered per process between two writes to the list


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
    """Revoked ids in a SQLite file; one connection per thread, opened lazily (also after a fork).

    No lock is shared by the requests of a process. A check first reads the file's change
    counter (4 bytes of its header, which SQLite bumps at every committed write in its default
    rollback-journal mode): while it is unchanged, answers already looked up in this process
    stand; once any worker of the host commits a revocation, the next check of every worker sees
    a new counter and asks SQLite again, through its thread's own connection. An unreadable file
    raises (fail closed).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.path.join(tempfile.gettempdir(), DEFAULT_SQLITE_NAME)
        self._local = threading.local()
        self._opened: list[tuple[int, sqlite3.Connection]] = []  # for close(); guarded below
        self._opened_lock = threading.Lock()  # taken when a thread opens or closes, never per check
        self._header: tuple[int, int] | None = None  # (pid, fd) to read the change counter
        self._known: tuple[bytes, dict[str, bool]] = (b"", {})  # answers valid at that counter
        self._counted = True  # False in WAL mode, where the header counter does not move

    def revoke(self, key_id: str) -> None:
        db = self._db()
        with db:
            db.execute("INSERT OR IGNORE INTO revoked (key_id, revoked_at) VALUES (?, ?)",
                       (key_id, int(time.time())))

    def is_revoked(self, key_id: str) -> bool:
        db = self._db()  # first: creates the file and its table on the first check
        counter = self._counter() if self._counted else b""
        known = self._known
        if not counter or known[0] != counter:
            known = self._known = (counter, {})
        revoked = known[1].get(key_id)
        if revoked is None:  # asked after reading the counter: valid for that counter
            row = db.execute("SELECT 1 FROM revoked WHERE key_id = ?", (key_id,)).fetchone()
            revoked = row is not None
            if counter and len(known[1]) < _MAX_KNOWN:
                known[1][key_id] = revoked
        return revoked

    def check_writable(self) -> None:
        # A write that is rolled back: it fails on a read-only file, directory or filesystem.
        db = self._db()  # this thread's own connection: no other thread's statement interleaves
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO revoked (key_id, revoked_at) VALUES ('ready-probe', 0)")
        finally:
            db.execute("ROLLBACK")

    def close(self) -> None:
        pid = os.getpid()
        with self._opened_lock:
            opened, self._opened = self._opened, []
            header, self._header = self._header, None
        for owner, connection in opened:
            if owner == pid:  # a connection inherited through a fork belongs to the parent
                connection.close()
        if header is not None and header[0] == pid:
            os.close(header[1])
        self._local = threading.local()
        self._known = (b"", {})

    def _counter(self) -> bytes:
        """The database header's file change counter (offset 24), read without SQLite."""
        header = self._header
        if header is None or header[0] != os.getpid():
            with self._opened_lock:
                if self._header is None or self._header[0] != os.getpid():
                    self._header = (os.getpid(), os.open(self.path, os.O_RDONLY))
                header = self._header
        return os.pread(header[1], 4, 24)

    def _db(self) -> sqlite3.Connection:
        # gunicorn forks workers from a preloaded master: a SQLite connection must never cross
        # a fork, so each process (and each of its threads) opens its own on first use.
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            # check_same_thread off only so that close() can close every thread's connection.
            connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA busy_timeout = 5000")
            with connection:
                connection.execute("CREATE TABLE IF NOT EXISTS revoked "
                                   "(key_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)")
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            self._counted = str(mode).lower() != "wal"
            local.connection, local.pid = connection, os.getpid()
            with self._opened_lock:
                self._opened.append((local.pid, connection))
        return connection


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
