"""One SQLite connection per process, opened lazily: gunicorn forks workers after the app is built."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ProcessConnection:
    """A SQLite file shared by the workers of one host; ``use()`` yields this process's connection."""

    def __init__(self, path: str, schema: tuple[str, ...]) -> None:
        self.path = path
        self._schema = schema
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    @contextmanager
    def use(self) -> Iterator[sqlite3.Connection]:
        """The connection, held under the lock (a sqlite3 connection is not shared across threads)."""
        with self._lock:
            yield self._open()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    def _open(self) -> sqlite3.Connection:
        # A SQLite connection must never cross a fork, so each process opens its own on first use.
        if self._connection is None or self._pid != os.getpid():
            connection = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 5000")
            with connection:
                for statement in self._schema:
                    connection.execute(statement)
            self._connection, self._pid = connection, os.getpid()
        return self._connection
