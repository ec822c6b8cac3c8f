"""Answers kept for Idempotency-Key retries, shared by every worker (SQLite per host) or replica (Redis).

An entry is ``pending`` while its first request runs (owned by a random token, for at most a lease)
and ``done`` with the status and body to answer again until its time to live ends. ``begin`` says
what a request must do: ``run`` (it owns the entry now), ``replay`` (same body: the stored answer),
``wait`` (same body, still running) or ``conflict`` (another body). Storage is bounded: expired
entries go first, then the oldest answers beyond ``max_entries``.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_SQLITE_NAME = "odoo-gateway-idempotency.sqlite3"
REDIS_PREFIX = "odoo_gateway:idem:"
REDIS_INDEX = "odoo_gateway:idem-index"


@dataclass(frozen=True)
class Outcome:
    """What ``begin`` decided; ``token`` for ``run``, ``status`` and ``body`` for ``replay``."""

    action: str  # run | replay | wait | conflict
    token: str = ""
    status: int = 0
    body: bytes = b""


class IdempotencyStore(Protocol):
    def begin(self, key: str, fingerprint: str, lease: float) -> Outcome: ...
    def finish(self, key: str, token: str, status: int, body: bytes, ttl: float) -> None: ...
    def abandon(self, key: str, token: str) -> None: ...
    def close(self) -> None: ...


def _decide(entry: dict | None, fingerprint: str) -> Outcome | None:
    """The outcome for an existing entry, or None when the caller may take the key."""
    if entry is None:
        return None
    if entry["fingerprint"] != fingerprint:
        return Outcome("conflict")
    if entry["state"] == "done":
        return Outcome("replay", status=entry["status"], body=entry["body"])
    return Outcome("wait")


class SqliteIdempotencyStore:
    """Entries in a SQLite file shared by the workers of one host; one connection per process."""

    def __init__(self, path: str | None = None, max_entries: int = 100_000) -> None:
        self.path = path or os.path.join(tempfile.gettempdir(), DEFAULT_SQLITE_NAME)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def begin(self, key: str, fingerprint: str, lease: float) -> Outcome:
        now = time.time()
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")  # one writer at a time across the host's workers
            try:
                row = db.execute("SELECT fingerprint, state, status, body FROM entries WHERE key = ? "
                                 "AND expires > ?", (key, now)).fetchone()
                names = ("fingerprint", "state", "status", "body")
                entry = dict(zip(names, row, strict=True)) if row else None
                decided = _decide(entry, fingerprint)
                if decided is None:
                    token = secrets.token_hex(16)
                    db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, 'pending', ?, 0, x'', ?, ?)",
                               (key, fingerprint, token, now + lease, now))
                    self._prune(db, now)
                    decided = Outcome("run", token)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return decided

    def finish(self, key: str, token: str, status: int, body: bytes, ttl: float) -> None:
        with self._lock:
            self._db().execute("UPDATE entries SET state = 'done', status = ?, body = ?, expires = ? "
                               "WHERE key = ? AND token = ?", (status, body, time.time() + ttl, key, token))

    def abandon(self, key: str, token: str) -> None:
        with self._lock:
            self._db().execute("DELETE FROM entries WHERE key = ? AND token = ?", (key, token))

    def count(self) -> int:
        with self._lock:
            return self._db().execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM entries WHERE expires <= ?", (now,))
        extra = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] - self.max_entries
        if extra > 0:  # the oldest first; a pending entry's owner then finishes nothing
            db.execute("DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY created "
                       "LIMIT ?)", (extra,))

    def _db(self) -> sqlite3.Connection:
        # A SQLite connection must never cross gunicorn's fork: each process opens its own.
        if self._connection is None or self._pid != os.getpid():
            connection = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 10000")
            # WAL: workers read while one writes; NORMAL: no fsync per answer (a power cut may lose
            # the last answers, after which a retry runs again, as after their expiry).
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, "
                               "fingerprint TEXT NOT NULL, state TEXT NOT NULL, token TEXT NOT NULL, "
                               "status INTEGER NOT NULL, body BLOB NOT NULL, expires REAL NOT NULL, "
                               "created REAL NOT NULL)")
            connection.execute("CREATE INDEX IF NOT EXISTS entries_created ON entries (created)")
            self._connection, self._pid = connection, os.getpid()
        return self._connection


class RedisIdempotencyStore:
    """Entries as Redis strings with an expiry, indexed by creation time to bound their number."""

    def __init__(self, client: Any, max_entries: int = 100_000) -> None:
        self._redis = client
        self.max_entries = max_entries

    @classmethod
    def from_url(cls, url: str, max_entries: int) -> RedisIdempotencyStore:
        import redis  # only needed when REDIS_URL is set

        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), max_entries)

    def begin(self, key: str, fingerprint: str, lease: float) -> Outcome:
        name, token = REDIS_PREFIX + key, secrets.token_hex(16)
        pending = {"fingerprint": fingerprint, "state": "pending", "token": token}
        if self._redis.set(name, json.dumps(pending), nx=True, px=int(lease * 1000)):
            self._index(name)
            return Outcome("run", token)
        raw = self._redis.get(name)
        if raw is None:  # expired between the two calls: try once more
            return self.begin(key, fingerprint, lease)
        entry = json.loads(raw)
        entry["body"] = entry.get("body", "").encode("latin-1")
        return _decide(entry, fingerprint) or Outcome("wait")

    def finish(self, key: str, token: str, status: int, body: bytes, ttl: float) -> None:
        done = {"fingerprint": "", "state": "done", "token": token, "status": status,
                "body": body.decode("latin-1")}
        self._if_owner(key, token, lambda pipe, name, entry: pipe.set(
            name, json.dumps({**done, "fingerprint": entry["fingerprint"]}), px=int(ttl * 1000)))

    def abandon(self, key: str, token: str) -> None:
        self._if_owner(key, token, lambda pipe, name, entry: pipe.delete(name))

    def close(self) -> None:
        self._redis.close()

    def _if_owner(self, key: str, token: str, change: Any) -> None:
        import redis

        name = REDIS_PREFIX + key
        with self._redis.pipeline() as pipe:
            try:
                pipe.watch(name)
                raw = pipe.get(name)
                entry = json.loads(raw) if raw else None
                if entry is None or entry.get("token") != token:
                    return  # the lease ended and another request owns the key now
                pipe.multi()
                change(pipe, name, entry)
                pipe.execute()
            except redis.WatchError:
                return

    def _index(self, name: str) -> None:
        self._redis.zadd(REDIS_INDEX, {name: time.time()})
        extra = self._redis.zcard(REDIS_INDEX) - self.max_entries
        if extra > 0:
            oldest = [member for member, _ in self._redis.zpopmin(REDIS_INDEX, extra)]
            if oldest:
                self._redis.delete(*oldest)


def build_store(redis_url: str | None, sqlite_path: str | None, max_entries: int) -> IdempotencyStore:
    """Redis when ``redis_url`` is set, else SQLite."""
    if redis_url:
        return RedisIdempotencyStore.from_url(redis_url, max_entries)
    return SqliteIdempotencyStore(sqlite_path, max_entries)
