"""Rate-limit counters in a SQLite file, shared by every worker of one host (``sqlite://PATH``).

Flask-Limiter's ``memory://`` keeps counters per process, so with ``WEB_CONCURRENCY=4`` a key got
four times ``RATE_LIMIT``. This storage keeps them in one file that the workers share: each hit
is one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so no Python lock is
held and concurrent workers never lose a count. Each thread has its own connection (SQLite
connections must not cross threads or forks); WAL lets readers and the writer overlap.
Fixed windows only, which is the strategy the gateway uses. Redis stays the way to share
counters across hosts.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import time
from urllib.parse import unquote

from limits.storage import Storage

SCHEME = "sqlite"
_PREFIX = "odoo-gateway-ratelimits-"
_PURGE_EVERY = 1000  # hits per connection between removals of expired windows

_INCR = """
INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
  value = CASE WHEN expires_at <= :now THEN :amount ELSE value + :amount END,
  expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
RETURNING value
"""


def new_counter_file() -> str:
    """A fresh, private file for this gateway's counters (made in the master, before the fork).

    /dev/shm first: it is RAM, and stays writable in a container with a read-only root.
    """
    shm = "/dev/shm"  # noqa: S108 - mkstemp makes a private file
    parent = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()
    _remove_orphans(parent)
    handle, path = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".sqlite3", dir=parent)
    os.close(handle)
    return path


def _remove_orphans(parent: str) -> None:
    """Remove counter files left by processes that were killed before they could (SIGKILL)."""
    for entry in os.scandir(parent):
        pid = entry.name[len(_PREFIX):].partition("-")[0]
        if not (entry.name.startswith(_PREFIX) and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.remove(entry.path)
        except PermissionError:
            pass  # alive, under another user


class SqliteStorage(Storage):
    """Fixed-window counters in a SQLite file; ``sqlite:///abs/path`` or ``sqlite://rel/path``."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = unquote(uri[len(SCHEME) + 3:])
        self._local = threading.local()
        self._db()  # create the table now: a bad path fails at start-up, not on the first call

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        db = self._db()
        self._local.hits += 1
        if self._local.hits % _PURGE_EVERY == 0:
            db.execute("DELETE FROM counters WHERE expires_at <= ?", (time.time(),))
        row = db.execute(_INCR, {"key": key, "amount": amount, "now": time.time(),
                                 "expiry": expiry}).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._db().execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?",
                                 (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._db().execute("SELECT expires_at FROM counters WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))

    def _db(self) -> sqlite3.Connection:
        # One connection per thread and process: gunicorn forks workers from the master, and
        # its gthread workers run requests on several threads.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA busy_timeout = 5000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = OFF")  # counters need no durability
            connection.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                               "value INTEGER NOT NULL, expires_at REAL NOT NULL)")
            local.connection, local.pid, local.hits = connection, os.getpid(), 0
        return local.connection
