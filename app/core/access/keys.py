"""Seal and open API keys: Fernet tokens carrying the caller's Odoo credentials and scope.

Only this service can read a key. New keys are sealed with the newest secret; every configured
secret still opens (``MultiFernet``), which is what makes rotation possible.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cachetools import LRUCache
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.base.errors import AuthFailed, KeyExpired
from app.core.access.scopes import Scope
from app.odoo.credentials import Credentials

_FORMAT = 1
_MALFORMED = "The API key is malformed or was not issued by this gateway: mint one with POST /auth/generate."


@dataclass(frozen=True)
class KeyClaims:
    """The content of an API key."""

    credentials: Credentials
    scope: str
    key_id: str
    issued_at: int
    expires_at: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    transport: str = "xmlrpc"  # or "jsonrpc", "json2"; keys minted before JSON-2 have none

    @classmethod
    def new(cls, credentials: Credentials, scope: str, ttl: int | None, context: dict | None,
            now: float | None = None, transport: str = "xmlrpc") -> KeyClaims:
        issued = int(time.time() if now is None else now)
        return cls(
            credentials=credentials, scope=scope, key_id=secrets.token_hex(8), issued_at=issued,
            expires_at=issued + ttl if ttl else None, context=dict(context or {}),
            transport=transport,
        )

    @cached_property
    def rules(self) -> Scope:
        """The parsed scope, parsed once per opened key."""
        return Scope.parse(self.scope)

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at

    def to_json(self) -> bytes:
        c = self.credentials
        body = {
            "v": _FORMAT, "u": c.url, "d": c.database, "n": c.username, "p": c.password,
            "s": self.scope, "i": self.key_id, "t": self.issued_at, "e": self.expires_at,
            "c": self.context, "x": self.transport,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> KeyClaims:
        body = json.loads(raw)
        if body.get("v") != _FORMAT:
            raise ValueError("unknown key format")
        credentials = Credentials(body["u"], body["d"], body["n"], body["p"])
        return cls(credentials, body["s"], body["i"], body["t"], body["e"], body.get("c") or {},
                   body.get("x") or "xmlrpc")


class KeyRing:
    """Seals claims into keys and opens keys back into claims."""

    def __init__(self, secrets_newest_first: tuple[bytes, ...], cache_size: int = 4096) -> None:
        self._fernet = MultiFernet([Fernet(s) for s in secrets_newest_first])
        # Decrypting costs more than the rest of a request's own work; an opened key is cached
        # by its digest (expiry is still checked on every use).
        self._opened: LRUCache[str, KeyClaims] = LRUCache(maxsize=cache_size)
        self._lock = threading.Lock()

    def seal(self, claims: KeyClaims) -> str:
        return self._fernet.encrypt(claims.to_json()).decode()

    def open(self, token: str, now: float | None = None) -> KeyClaims:
        """The claims of ``token``; AuthFailed when it is not ours, KeyExpired when it is too old."""
        claims = self.open_unchecked(token)
        if claims.expired(now):
            raise KeyExpired()
        return claims

    def open_unchecked(self, token: str) -> KeyClaims:
        """The claims of ``token`` without the expiry check."""
        if not isinstance(token, str) or not token or len(token) > 16_384:
            raise AuthFailed(_MALFORMED)
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            claims = self._opened.get(digest)
        if claims is None:
            claims = self._decrypt(token)
            with self._lock:
                self._opened[digest] = claims
        return claims

    def rotate(self, token: str) -> str:
        """Re-seal ``token`` under the newest secret, keeping its claims and expiry."""
        self.open_unchecked(token)
        return self._fernet.rotate(token.encode()).decode()

    def _decrypt(self, token: str) -> KeyClaims:
        try:
            raw = token.encode("ascii")
            # Base64 decoding tolerates trailing junk; a key must be exactly what was issued.
            if base64.urlsafe_b64encode(base64.urlsafe_b64decode(raw)) != raw:
                raise ValueError("not canonical base64")
            return KeyClaims.from_json(self._fernet.decrypt(raw))
        except (InvalidToken, ValueError, KeyError, TypeError, binascii.Error):
            raise AuthFailed(_MALFORMED) from None
