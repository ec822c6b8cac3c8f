"""Webhook subscriptions and their dispatch leases, shared by every worker (SQLite) or replica (Redis).

A subscription is a small record of text fields, each written by one side only so that neither
overwrites the other: ``config`` (JSON, written once at creation), ``state`` (active, paused,
disabled, stopped: the API and the dispatcher), ``progress`` (JSON: cursor, batch in flight,
counters; only the dispatcher holding the lease), ``dead`` (JSON: the newest dead-lettered batches,
written only when one is given up on) and ``replay`` (JSON: a replay asked through the API).
``set`` writes fields of a subscription that still exists, so a dispatcher finishing a delivery
cannot bring back one deleted meanwhile.

A *lease* names its owner and expires: ``claim`` takes a free or expired lease or renews one's own,
atomically, so exactly one dispatcher (thread, worker or replica) works on a subscription at a time;
a crashed owner's lease runs out and another takes over.

- ``SqliteSubscriptionStore`` (default): a SQLite file (``WEBHOOK_DB``, default under the temp
  dir) shared by the workers of one host.
- ``RedisSubscriptionStore`` (when ``REDIS_URL`` is set): hashes and ``SET NX PX`` leases shared by
  replicas; conditional writes use WATCH/MULTI (no Lua, so any Redis-protocol server works).
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Protocol

from app.stores.sqlite import ProcessConnection

DEFAULT_SQLITE_NAME = "odoo-gateway-webhooks.sqlite3"
REDIS_PREFIX = "odoo_gateway:webhooks:"
FIELDS = ("key_id", "config", "state", "progress", "replay", "dead")


class SubscriptionStore(Protocol):
    def create(self, sub_id: str, record: dict[str, str]) -> None: ...
    def get(self, sub_id: str) -> dict[str, str] | None: ...
    def ids(self) -> list[str]: ...
    def by_key(self, key_id: str) -> list[dict[str, str]]: ...
    def set(self, sub_id: str, **fields: str) -> bool: ...
    def delete(self, sub_id: str) -> bool: ...
    def claim(self, name: str, owner: str, ttl: float) -> bool: ...
    def release(self, name: str, owner: str) -> None: ...
    def owner(self, name: str) -> str | None: ...
    def close(self) -> None: ...


_SCHEMA = (
    # Each delivery writes twice (the batch in flight, then the cursor): WAL without a sync per
    # commit keeps that cheap, and a commit still survives the crash of a process (not of the host:
    # then a batch may be rebuilt and sent again, which at-least-once allows).
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, key_id TEXT NOT NULL,"
    " config TEXT NOT NULL, state TEXT NOT NULL, progress TEXT NOT NULL, replay TEXT NOT NULL,"
    " dead TEXT NOT NULL, created REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS subscriptions_key ON subscriptions (key_id)",
    "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL)",
)
_COLUMNS = ", ".join(("id", *FIELDS))


def _row(row: Any) -> dict[str, str]:
    return dict(zip(("id", *FIELDS), row, strict=True))


class SqliteSubscriptionStore:
    """Subscriptions and leases in a SQLite file shared by the workers of one host."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.path.join(tempfile.gettempdir(), DEFAULT_SQLITE_NAME)
        self._db = ProcessConnection(self.path, _SCHEMA)

    def create(self, sub_id: str, record: dict[str, str]) -> None:
        with self._db.use() as db, db:
            db.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (sub_id, *(record.get(f, "") for f in FIELDS), time.time()))

    def get(self, sub_id: str) -> dict[str, str] | None:
        with self._db.use() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?",  # noqa: S608
                             (sub_id,)).fetchone()
        return _row(row) if row else None

    def ids(self) -> list[str]:
        with self._db.use() as db:
            return [r[0] for r in db.execute("SELECT id FROM subscriptions ORDER BY created, id")]

    def by_key(self, key_id: str) -> list[dict[str, str]]:
        with self._db.use() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM subscriptions WHERE key_id = ?"  # noqa: S608
                              " ORDER BY created, id", (key_id,)).fetchall()
        return [_row(r) for r in rows]

    def set(self, sub_id: str, **fields: str) -> bool:
        names = [f for f in fields if f in FIELDS and f != "key_id"]
        assignments = ", ".join(f"{name} = ?" for name in names)
        with self._db.use() as db, db:
            cursor = db.execute(f"UPDATE subscriptions SET {assignments} WHERE id = ?",  # noqa: S608
                                (*(fields[n] for n in names), sub_id))
            return cursor.rowcount == 1

    def delete(self, sub_id: str) -> bool:
        with self._db.use() as db, db:
            return db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,)).rowcount == 1

    def claim(self, name: str, owner: str, ttl: float) -> bool:
        now = time.time()
        with self._db.use() as db, db:
            cursor = db.execute(
                "INSERT INTO leases VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
                " expires = excluded.expires WHERE leases.owner = excluded.owner OR leases.expires <= ?",
                (name, owner, now + ttl, now))
            return cursor.rowcount == 1

    def release(self, name: str, owner: str) -> None:
        with self._db.use() as db, db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def owner(self, name: str) -> str | None:
        with self._db.use() as db:
            row = db.execute("SELECT owner FROM leases WHERE name = ? AND expires > ?",
                             (name, time.time())).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._db.close()


class RedisSubscriptionStore:
    """A hash per subscription, a set of ids (and one per key), a ``SET NX PX`` key per lease."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisSubscriptionStore:
        import redis  # only needed when REDIS_URL is set

        return cls(redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=2.0,
                                        decode_responses=True))

    def create(self, sub_id: str, record: dict[str, str]) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(_name("sub", sub_id), mapping={f: record.get(f, "") for f in FIELDS})
        pipe.zadd(_name("ids", ""), {sub_id: time.time()})
        pipe.sadd(_name("key", record["key_id"]), sub_id)
        pipe.execute()

    def get(self, sub_id: str) -> dict[str, str] | None:
        found = self._redis.hgetall(_name("sub", sub_id))
        return {"id": sub_id, **{f: found.get(f, "") for f in FIELDS}} if found else None

    def ids(self) -> list[str]:
        return list(self._redis.zrange(_name("ids", ""), 0, -1))

    def by_key(self, key_id: str) -> list[dict[str, str]]:
        found = (self.get(sub_id) for sub_id in self._redis.smembers(_name("key", key_id)))
        order = {sub_id: n for n, sub_id in enumerate(self.ids())}
        return sorted((r for r in found if r), key=lambda r: order.get(r["id"], 0))

    def set(self, sub_id: str, **fields: str) -> bool:
        key = _name("sub", sub_id)
        values = {f: v for f, v in fields.items() if f in FIELDS and f != "key_id"}
        return bool(self._when(key, lambda value: value is not None,
                               lambda pipe: pipe.hset(key, mapping=values), probe="exists"))

    def delete(self, sub_id: str) -> bool:
        record = self.get(sub_id)
        if record is None:
            return False
        pipe = self._redis.pipeline()
        pipe.delete(_name("sub", sub_id))
        pipe.zrem(_name("ids", ""), sub_id)
        pipe.srem(_name("key", record["key_id"]), sub_id)
        return bool(pipe.execute()[0])

    def claim(self, name: str, owner: str, ttl: float) -> bool:
        key, ms = _name("lease", name), max(1, int(ttl * 1000))
        if self._redis.set(key, owner, px=ms, nx=True):
            return True
        return bool(self._when(key, lambda value: value == owner,
                               lambda pipe: pipe.pexpire(key, ms)))

    def release(self, name: str, owner: str) -> None:
        key = _name("lease", name)
        self._when(key, lambda value: value == owner, lambda pipe: pipe.delete(key))

    def owner(self, name: str) -> str | None:
        return self._redis.get(_name("lease", name))

    def close(self) -> None:
        self._redis.close()

    def _when(self, key: str, test: Any, write: Any, probe: str = "get") -> bool:
        """Run ``write`` in a transaction if ``test`` holds for ``key`` (WATCH: nobody changed it)."""
        import redis

        with self._redis.pipeline() as pipe:
            for _ in range(5):
                try:
                    pipe.watch(key)
                    value = pipe.get(key) if probe == "get" else (pipe.exists(key) or None)
                    if not test(value):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    write(pipe)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        return False


def _name(kind: str, key: str) -> str:
    return f"{REDIS_PREFIX}{kind}:{key}"


def build_subscription_store(redis_url: str | None, sqlite_path: str | None) -> SubscriptionStore:
    """Redis when ``redis_url`` is set (replicas share it), else the host's SQLite file."""
    if redis_url:
        return RedisSubscriptionStore.from_url(redis_url)
    return SqliteSubscriptionStore(sqlite_path)
