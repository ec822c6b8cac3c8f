"""The dispatcher: a background thread in each worker that delivers subscriptions' changes.

For each subscription it holds the *lease* of, in a loop: read the next batch from the change
feed (as the subscription's key), store it as the batch in flight with a fresh ``webhook-id``,
POST it signed, and move the cursor only after a 2xx. The batch in flight is stored before it is
sent, so a worker that dies mid-delivery leaves it to the next lease holder, who sends the same
batch with the same ``webhook-id`` (at least once; a receiver de-duplicates on the id).

Failures: a timeout, a connection error, 429, 5xx or any other non-2xx but 410 is retried with
exponential backoff and jitter (``Retry-After`` honoured), for at most ``WEBHOOK_RETRY_SECONDS``
from the first attempt; then the batch is dead-lettered (kept on the subscription) and the cursor
moves past it. 410 Gone disables the subscription (resume sends the batch again).
A revoked or expired key stops the subscription; Odoo being down only delays it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import InvalidToken

from app.base.errors import GatewayError, KeyExpired, KeyRevoked, UrlNotAllowed
from app.core.automations.changes import encode_cursor
from app.core.automations.subscriptions import MAX_DEAD, Subscriptions
from app.core.automations.webhook_http import Answer, Sender, sign

log = logging.getLogger("odoo_gateway")
_ROUNDS = 20  # batches one subscription may send in a row before the others get their turn


class Hooks:
    """Where the dispatcher reports (the API layer plugs Prometheus metrics in); no-ops by default."""

    def delivered(self, events: int, lags: list[float]) -> None: ...
    def failed(self, outcome: str) -> None: ...
    def retried(self) -> None: ...


def event(model: str, record: dict) -> dict:
    """One change: ``created`` when Odoo's create_date equals its write_date, else ``updated``."""
    created = record.get("create_date") and record.get("create_date") == record.get("write_date")
    stamp = record.get("write_date")
    changed = stamp.replace(" ", "T") + "Z" if isinstance(stamp, str) else None
    return {"type": "created" if created else "updated", "model": model, "id": record["id"],
            "data": record, "changed_at": changed}


def _lag(changed_at: str | None, now: float) -> float | None:
    if not changed_at:
        return None
    return now - datetime.fromisoformat(changed_at.replace("Z", "+00:00")).timestamp()


class Dispatcher:
    """Delivers every subscription this process holds the lease of; ``start`` runs it in a thread."""

    def __init__(self, service: Subscriptions, sender: Sender, settings: Any, hooks: Hooks | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.service, self.store, self.sender = service, service.store, sender
        self.settings, self.hooks, self.clock = settings, hooks or Hooks(), clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: set[str] = set()
        self._backlog = False  # a subscription still had changes waiting at the end of a round
        self._renewed: dict[str, float] = {}  # monotonic time each held lease was last claimed

    # --- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Run in a daemon thread (a new owner name per process: gunicorn forks after the app is built)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop.clear()
        self._held, self._renewed = set(), {}
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def signal_stop(self) -> None:
        """Start no new delivery (SIGTERM); the one in flight goes on."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the delivery in flight (or leave it stored), then hand every lease back."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(self.settings.webhook_timeout_seconds + 5 if timeout is None else timeout)
        if thread is None or not thread.is_alive():
            self._release_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # one bad round must not end deliveries for the worker's life
                log.exception("webhook dispatcher round failed")
                self._backlog = False
            if not self._backlog:  # a subscription with more waiting goes on without a pause
                self._stop.wait(self.settings.webhook_poll_seconds)
        self._release_all()

    def _release_all(self) -> None:
        for sub_id in list(self._held):
            self.store.release(sub_id, self.owner)
            self._held.discard(sub_id)
        self._renewed.clear()

    # --- one round -----------------------------------------------------------------------------
    def run_once(self) -> int:
        """One pass over every subscription; the number of batches delivered (2xx)."""
        sent, self._backlog = 0, False
        for sub_id in self.store.ids():
            if self._stop.is_set():
                break
            for _ in range(_ROUNDS):
                try:
                    outcome = self.step(sub_id)
                except Exception:  # one broken subscription must not hold up the others
                    log.exception("webhook delivery step failed", extra={"subscription": sub_id})
                    break
                sent += outcome == "delivered-more" or outcome == "delivered"
                if outcome != "delivered-more" or self._stop.is_set():
                    break
            else:
                self._backlog = True
        return sent

    def step(self, sub_id: str) -> str:
        """Do the next thing for one subscription; what happened, as a word (for tests and logs)."""
        record = self.store.get(sub_id)
        if record is None or record["state"] != "active":
            if sub_id in self._held:
                self.store.release(sub_id, self.owner)
                self._held.discard(sub_id)
                self._renewed.pop(sub_id, None)
            return "idle"
        if not self._hold(sub_id):
            return "not-mine"
        config, progress = json.loads(record["config"]), json.loads(record["progress"])
        self._replay(record, config, progress)
        pending = progress.get("pending")
        if pending is None:
            pending = self._next_batch(sub_id, config, progress)
            if pending is None:
                return "nothing"
        if pending["next_at"] > self.clock():
            return "waiting"
        return self._deliver(sub_id, config, progress, pending)

    def _hold(self, sub_id: str, renew_within: float | None = None) -> bool:
        """Whether this dispatcher holds the lease; renewed when a third of it has passed.

        Skipping a renewal saves a write per step: a lease renewed at T is ours until T + lease,
        and config makes the lease longer than a delivery, so a check within that time is sure.
        """
        lease = self.settings.webhook_lease_seconds
        renewed = self._renewed.get(sub_id)
        margin = lease / 3 if renew_within is None else max(0.0, lease - renew_within)
        if sub_id in self._held and renewed is not None and time.monotonic() - renewed < margin:
            return True
        started = time.monotonic()
        if not self.store.claim(sub_id, self.owner, lease):
            self._held.discard(sub_id)
            self._renewed.pop(sub_id, None)
            return False
        self._held.add(sub_id)
        self._renewed[sub_id] = started
        return True

    def _replay(self, record: dict, config: dict, progress: dict) -> None:
        replay = json.loads(record["replay"]) if record["replay"] else None
        if replay and replay["nonce"] != progress.get("replayed"):
            progress.update(cursor=encode_cursor(config["model"], replay["since"], 0), pending=None,
                            replayed=replay["nonce"])
            self._save(record["id"], progress)

    def _next_batch(self, sub_id: str, config: dict, progress: dict) -> dict | None:
        try:
            secrets_ = self.service.unseal(config)
        except InvalidToken:  # sealed with an ENCRYPTION_KEY no longer configured
            self._stop_subscription(sub_id, progress, "sealed with a retired ENCRYPTION_KEY")
            return None
        try:
            claims = self.service.gateway.open_key(secrets_["api_key"])
            answer = self.service.gateway.call(claims, "changes", {
                "model": config["model"], "domain": config["domain"], "cursor": progress["cursor"],
                "limit": self.settings.webhook_batch_size,
                **({"fields": config["fields"]} if config.get("fields") is not None else {})})
        except (KeyRevoked, KeyExpired) as error:
            self._stop_subscription(sub_id, progress, error.code)
            return None
        except GatewayError as error:  # Odoo down, scope narrowed by field rules...: try again later
            return self._note_error(sub_id, progress, error)
        if not answer["records"]:
            if answer["cursor"] != progress["cursor"] or progress.get("last_error"):
                progress.update(cursor=answer["cursor"], last_error=None)
                self._save(sub_id, progress)
            return None
        now = self.clock()
        pending = {"id": "msg_" + secrets.token_hex(12), "events": [event(config["model"], r)
                                                                   for r in answer["records"]],
                   "cursor": answer["cursor"], "more": answer["more"], "attempts": 0,
                   "first_at": now, "next_at": now}
        progress.update(pending=pending, last_error=None)
        self._save(sub_id, progress)  # stored before it is sent: a crash hands it over as it is
        return pending

    def _deliver(self, sub_id: str, config: dict, progress: dict, pending: dict) -> str:
        try:
            secret = self.service.unseal(config)["secret"]
        except InvalidToken:
            self._stop_subscription(sub_id, progress, "sealed with a retired ENCRYPTION_KEY")
            return "stopped"
        body = json.dumps({"subscription": sub_id, "model": config["model"], "events": pending["events"]},
                          separators=(",", ":"), default=str).encode()
        stamp = int(self.clock())
        headers = {"webhook-id": pending["id"], "webhook-timestamp": str(stamp),
                   "webhook-signature": sign(secret, pending["id"], stamp, body)}
        try:
            answer = self.sender.post(config["url"], body, headers, self.clock())
        except UrlNotAllowed as error:  # the operator's policy changed since the subscription began
            return self._disable(sub_id, progress, "url_not_allowed: " + error.message)
        if not self._hold(sub_id, renew_within=self.settings.webhook_timeout_seconds + 1):
            return "lease-lost"  # someone else took over: they will send it again
        return self._settle(sub_id, progress, pending, answer)

    def _settle(self, sub_id: str, progress: dict, pending: dict, answer: Answer) -> str:
        now, status = self.clock(), answer.status
        progress["last_delivery"] = {"at": _iso(now), "webhook_id": pending["id"], "status": status,
                                     "error": answer.error, "events": len(pending["events"])}
        if status is not None and 200 <= status < 300:
            progress.update(cursor=pending["cursor"], pending=None,
                            delivered=progress.get("delivered", 0) + len(pending["events"]))
            self._save(sub_id, progress)
            lags = (_lag(e["changed_at"], now) for e in pending["events"])
            self.hooks.delivered(len(pending["events"]), [x for x in lags if x is not None])
            return "delivered-more" if pending.get("more") else "delivered"
        if status == 410:
            return self._disable(sub_id, progress, "410 Gone from the receiver")
        progress["failures"] = progress.get("failures", 0) + 1
        # Every other answer is retried within the bound, 4xx included: n8n answers 404 while its
        # workflow is switched off, and a receiver's 401 may be a secret not yet pasted.
        if now - pending["first_at"] < self.settings.webhook_retry_seconds:
            pending.update(attempts=pending["attempts"] + 1, next_at=now + self._delay(pending, answer))
            progress.update(pending=pending, retries=progress.get("retries", 0) + 1)
            self._save(sub_id, progress)
            self.hooks.failed(answer.error or str(status))
            self.hooks.retried()
            return "retry"
        self._dead_letter(sub_id, progress, pending, answer.error or f"HTTP {status}", now)
        self.hooks.failed("dead_letter")
        return "dead-letter"

    def _delay(self, pending: dict, answer: Answer) -> float:
        """Exponential backoff with full jitter, or the receiver's Retry-After; never past the bound."""
        s = self.settings
        left = max(0.0, pending["first_at"] + s.webhook_retry_seconds - self.clock())
        if answer.retry_after is not None:
            return min(answer.retry_after, left)  # the receiver knows best, within the bound
        ceiling = min(s.webhook_backoff_max_seconds, s.webhook_backoff_seconds * 2 ** pending["attempts"])
        return min(random.uniform(ceiling / 2, ceiling), left)  # noqa: S311 - jitter, not a secret

    def _dead_letter(self, sub_id: str, progress: dict, pending: dict, reason: str, now: float) -> None:
        """Keep the batch (in its own field: progress, written on every delivery, stays small), move on."""
        record = self.store.get(sub_id)
        dead = json.loads(record["dead"]) if record and record.get("dead") else []
        dead.append({"webhook_id": pending["id"], "at": _iso(now), "reason": reason,
                     "attempts": pending["attempts"] + 1, "events": pending["events"]})
        progress.update(cursor=pending["cursor"], pending=None)
        self.store.set(sub_id, dead=json.dumps(dead[-MAX_DEAD:], default=str))
        self._save(sub_id, progress)

    def _disable(self, sub_id: str, progress: dict, reason: str) -> str:
        progress["reason"] = reason
        self._save(sub_id, progress)
        self.store.set(sub_id, state="disabled")
        self.hooks.failed("disabled")
        log.warning("webhook subscription disabled", extra={"subscription": sub_id, "reason": reason})
        return "disabled"

    def _stop_subscription(self, sub_id: str, progress: dict, reason: str) -> None:
        progress["reason"] = reason
        self._save(sub_id, progress)
        self.store.set(sub_id, state="stopped")
        log.warning("webhook subscription stopped", extra={"subscription": sub_id, "reason": reason})

    def _note_error(self, sub_id: str, progress: dict, error: GatewayError) -> None:
        progress["last_error"] = {"at": _iso(self.clock()), "status": error.code, "error": error.message}
        self._save(sub_id, progress)
        return None

    def _save(self, sub_id: str, progress: dict) -> None:
        self.store.set(sub_id, progress=json.dumps(progress, default=str))


def _iso(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
