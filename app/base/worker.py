"""gunicorn's gthread worker, with callers spread over the workers by their free threads.

gthread accepts every connection it can (up to ``worker_connections``, 1,000), whether or not one
of its threads is free, and keeps a kept-alive connection for good. With two workers of 16
threads, 32 callers on keep-alive connections often land 21 and 11: the first worker's 16 threads
serve 21 callers, five of them always waiting, while the second worker has five threads idle
(measured: 0.66 of the ideal rate at 21/11, 0.84 at 16/16; gunicorn issue 3433, still open). A
caller whose worker is stuck on slow Odoo calls waits too, while another worker idles.

Two changes:
- a worker takes new connections only while one of its threads is free. When every worker is
  busy a new caller waits in the kernel's backlog, as it would have waited in a busy worker's
  queue, and the first worker with a free thread takes it;
- a request that had to wait for a thread (it arrived while all were busy, and waited 5 ms or
  more) is answered with ``Connection: close`` when there are other workers: the caller's next
  request opens a new connection, which a worker with a free thread takes. Once the callers are
  spread evenly no request waits, and none is closed.

A thread counts as busy from the moment the poller hands it a request until it has finished
with it (a lock between the poller and the pool's threads keeps that count exact).
"""

from __future__ import annotations

import threading
import time

from gunicorn.workers import gthread
from prometheus_client import Counter

# Under gunicorn prometheus_client writes to the workers' metrics files (gunicorn.conf.py sets
# their directory before anything imports it), so /metrics shows it with the app's own metrics.
WAITED = Counter("gateway_requests_waited_total",
                 "Requests that found every thread of their worker busy and waited for one.",
                 registry=None)
MOVED = Counter("gateway_callers_moved_total",
                "Requests answered with 'Connection: close' because they waited for a thread (5 ms "
                "or more) while another worker may have one free: their callers reconnect.",
                registry=None)


class ThreadWorker(gthread.ThreadWorker):
    """gthread, leaving new and waiting callers to a worker with a free thread."""

    # A request moves its caller only when it waited this long for a thread: one that arrives
    # while a thread is finishing its previous answer (microseconds, or a scheduling delay on a
    # busy machine) is not a caller stuck behind the others.
    MOVE_AFTER_SECONDS = 0.005

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.busy = 0  # requests handed to the thread pool whose thread has not finished them
        self._busy_lock = threading.Lock()  # the poller adds, the pool's threads take away

    def _threads_free(self) -> bool:
        return self.busy < self.cfg.threads

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop asks for accepting again after every event while it is below
        # worker_connections: it gets it only once a thread is free.
        super().set_accept_enabled(enabled and self._threads_free())

    def accept(self, listener) -> None:  # type: ignore[no-untyped-def]
        # The listener may be in the poller's current batch of events after the pool filled up.
        if self._threads_free():
            super().accept(listener)

    def enqueue_req(self, conn) -> None:  # type: ignore[no-untyped-def]
        with self._busy_lock:
            queued = self.busy >= self.cfg.threads
            self.busy += 1
        conn.queued_at = time.monotonic() if queued else None
        if queued:
            WAITED.inc()
        if not self._threads_free():
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def handle(self, conn):  # type: ignore[no-untyped-def]
        try:
            return super().handle(conn)
        finally:
            with self._busy_lock:
                self.busy -= 1

    def handle_request(self, req, conn):  # type: ignore[no-untyped-def]
        queued_at, conn.queued_at = getattr(conn, "queued_at", None), None
        if (queued_at is not None and self.cfg.workers > 1
                and time.monotonic() - queued_at >= self.MOVE_AFTER_SECONDS):
            req.must_close = True
            MOVED.inc()
        return super().handle_request(req, conn)
