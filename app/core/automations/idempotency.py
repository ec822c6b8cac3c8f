"""Idempotent retries: run a writing request once per (key id, Idempotency-Key), answer it again after.

The first request with a given Idempotency-Key takes the entry and runs; a retry with the same
body within IDEMPOTENCY_TTL_SECONDS gets the stored answer without reaching Odoo; a concurrent
duplicate waits for the first (at most IDEMPOTENCY_WAIT_SECONDS); another body is a 409.
Only final answers are kept: 2xx and 4xx other than 429. A 5xx or 429 frees the key, so the retry
runs again (after a 504 Odoo may have done the work anyway: use an upsert where that matters).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.base import jsondepth
from app.base.errors import Conflict, InvalidRequest
from app.stores.idempotency import IdempotencyStore

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_POLL_SECONDS = 0.05
_TOO_LARGE = (
    b'{"error": "The first answer to this Idempotency-Key was too large to keep '
    b'(IDEMPOTENCY_MAX_ANSWER_BYTES); the request was not run again.", "status": "conflict"}'
)


@dataclass(frozen=True)
class Policy:
    """The settings that bound the stored answers."""

    ttl: float
    wait: float
    max_answer_bytes: int
    lease: float  # how long a first request holds its key: longer than any request can run


def check_key(value: str) -> str:
    """The header's value, or InvalidRequest when it is not 1 to 255 visible ASCII characters."""
    if not 1 <= len(value) <= 255 or not all(33 <= ord(c) <= 126 for c in value):
        raise InvalidRequest(f"The {HEADER} header must be 1 to 255 visible ASCII characters, "
                             "e.g. a UUID.")
    return value


def entry_key(key_id: str, idempotency_key: str) -> str:
    """Where the answer is kept: per API key id, the client's value hashed (it may hold anything)."""
    return f"{key_id}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"


def fingerprint(route: str, body: bytes) -> str:
    """The request as compared between retries: its route and its JSON body, key order aside."""
    try:
        # Bounded: this runs before the route's own body check, and json recurses per level.
        canonical = json.dumps(jsondepth.loads(body, jsondepth.MOST), sort_keys=True,
                               separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(route.encode() + b"\n" + canonical).hexdigest()


def is_final(status: int) -> bool:
    return status < 500 and status != 429


def run_once(store: IdempotencyStore, policy: Policy, key: str, print_: str,
             run: Callable[[], tuple[int, bytes]]) -> tuple[int, bytes, bool]:
    """(status, body, replayed): the stored answer, or ``run()``'s, kept when final."""
    deadline = time.monotonic() + policy.wait
    while True:
        outcome = store.begin(key, print_, lease=policy.lease)
        if outcome.action == "conflict":
            raise Conflict(f"This {HEADER} was already used with another request body: use a new "
                           "key for a new request.")
        if outcome.action == "replay":
            return outcome.status, outcome.body, True
        if outcome.action == "run":
            break
        if time.monotonic() >= deadline:
            raise Conflict(f"A request with this {HEADER} is still running: retry later.", retry_after=1)
        time.sleep(_POLL_SECONDS)
    try:
        status, body = run()
    except BaseException:
        store.abandon(key, outcome.token)
        raise
    if not is_final(status):
        store.abandon(key, outcome.token)
    else:
        kept = (status, body) if len(body) <= policy.max_answer_bytes else (409, _TOO_LARGE)
        store.finish(key, outcome.token, *kept, ttl=policy.ttl)
    return status, body, False
