"""The session pool: authenticated Odoo sessions, reused for a while.

A ``TTLCache`` keyed by a digest of url, database, username and password (never the raw API key)
holds each session's uid. The guard lock is held for cache reads and writes only; a per-digest
lock makes concurrent first calls authenticate once, without holding up other keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cachetools import TTLCache

from app.odoo.credentials import Credentials


@dataclass(frozen=True)
class Session:
    """An authenticated Odoo session: the credentials and the uid Odoo gave them."""

    credentials: Credentials
    uid: int
    created: float = field(default_factory=time.monotonic)


class _Sessions(TTLCache):
    """A TTLCache that counts the sessions it pushes out, for being full or too old."""

    evictions = 0

    def popitem(self):  # type: ignore[no-untyped-def]
        item = super().popitem()
        self.evictions += 1
        return item

    def expire(self, time=None):  # type: ignore[no-untyped-def]
        expired = super().expire(time)
        self.evictions += len(expired)
        return expired


class _Pending:
    """A lock for one digest being authenticated, with the number of threads using it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class SessionPool:
    """Authenticated sessions by credentials digest, bounded in size and age."""

    def __init__(self, authenticate: Callable[[Credentials], int], max_size: int,
                 ttl_seconds: float) -> None:
        self._authenticate = authenticate
        self._cache: TTLCache[str, Session] = _Sessions(maxsize=max_size, ttl=ttl_seconds)
        self._guard = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self.hits = 0
        self.misses = 0

    def get(self, credentials: Credentials,
            authenticate: Callable[[Credentials], int] | None = None) -> Session:
        """The session for ``credentials``, authenticating with Odoo when there is none (through
        ``authenticate`` when given: the key's transport)."""
        digest = credentials.digest()
        session = self._lookup(digest, final=False)
        if session is not None:
            return session
        pending = self._enter(digest)
        try:
            with pending.lock:
                session = self._lookup(digest, final=True)
                if session is None:
                    # A network call: no guard lock held.
                    uid = (authenticate or self._authenticate)(credentials)
                    session = self.put(credentials, uid)
        finally:
            self._leave(digest, pending)
        return session

    def put(self, credentials: Credentials, uid: int) -> Session:
        """Store a session already authenticated elsewhere (e.g. when a key is minted)."""
        session = Session(credentials, uid)
        with self._guard:
            self._cache[credentials.digest()] = session
        return session

    def drop(self, credentials: Credentials) -> None:
        """Forget the session of ``credentials`` (Odoo no longer accepts them)."""
        with self._guard:
            self._cache.pop(credentials.digest(), None)

    def drop_all(self) -> None:
        with self._guard:
            self._cache.clear()

    def stats(self) -> dict[str, float | int]:
        with self._guard:
            self._cache.expire()
            size = len(self._cache)
        return {
            "size": size, "max_size": int(self._cache.maxsize),
            "ttl_seconds": self._cache.ttl, "hits": self.hits, "misses": self.misses,
        }

    @property
    def evictions(self) -> int:
        """Sessions pushed out for being full or too old (not the ones dropped on purpose)."""
        return self._cache.evictions

    def _lookup(self, digest: str, final: bool) -> Session | None:
        """The cached session; a miss counts only on the ``final`` look, before authenticating."""
        with self._guard:
            session = self._cache.get(digest)
            if session is not None:
                self.hits += 1
            elif final:
                self.misses += 1
            return session

    def _enter(self, digest: str) -> _Pending:
        with self._guard:
            pending = self._pending.setdefault(digest, _Pending())
            pending.users += 1
            return pending

    def _leave(self, digest: str, pending: _Pending) -> None:
        with self._guard:
            pending.users -= 1
            if pending.users == 0:
                self._pending.pop(digest, None)
