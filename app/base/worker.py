"""gunicorn's gthread worker, with callers spread over the workers by their free threads.

gthread accepts every connection it can (up to ``worker_connections``, 1,000), whether or not one
of its threads is free, and keeps a kept-alive connection for good. With two workers of 16
threads, 32 callers on keep-alive connections often land 21 and 11: the first worker's 16 threads
serve 21 callers, five of them always waiting, while the second worker has five threads idle
(measured: 0.66 of the ideal rate at 21/11, 0.84 at 16/16; gunicorn issue 3433, still open). A
caller whose worker is stuck on slow Odoo calls waits too, while another worker idles.

Two changes, both decided on the worker's main thread (its poller), so no lock is needed:
- a worker takes new connections only while one of its threads is free. When every worker is
  busy a new caller waits in the kernel's backlog, as it would have waited in a busy worker's
  queue, and the first worker with a free thread takes it;
- a request that has to wait for a thread (it arrived while all were busy) is answered with
  ``Connection: close`` when there are other workers: the caller's next request opens a new
  connection, which a worker with a free thread takes. Once the callers are spread evenly no
  request waits, and none is closed.
"""

from __future__ import annotations

from gunicorn.workers import gthread
from prometheus_client import Counter

# Under gunicorn prometheus_client writes to the workers' metrics files (gunicorn.conf.py sets
# their directory before anything imports it), so /metrics shows it with the app's own metrics.
WAITED = Counter("gateway_requests_waited_total",
                 "Requests that found every thread of their worker busy and waited for one.",
                 registry=None)
MOVED = Counter("gateway_callers_moved_total",
                "Requests answered with 'Connection: close' because they waited for a thread while "
                "another worker may have one free: their callers reconnect.", registry=None)


class ThreadWorker(gthread.ThreadWorker):
    """gthread, leaving new and waiting callers to a worker with a free thread."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.in_pool = 0  # connections handed to the thread pool and not finished yet

    def _threads_free(self) -> bool:
        return self.in_pool < self.cfg.threads

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop asks for accepting again after every event while it is below
        # worker_connections: it gets it only once a thread is free.
        super().set_accept_enabled(enabled and self._threads_free())

    def accept(self, listener) -> None:  # type: ignore[no-untyped-def]
        # The listener may be in the poller's current batch of events after the pool filled up.
        if self._threads_free():
            super().accept(listener)

    def enqueue_req(self, conn) -> None:  # type: ignore[no-untyped-def]
        if not self._threads_free():
            WAITED.inc()
            if self.cfg.workers > 1:
                conn.move_on = True
                MOVED.inc()
        self.in_pool += 1
        if not self._threads_free():
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:  # type: ignore[no-untyped-def]
        self.in_pool -= 1
        super().finish_request(conn, fs)

    def handle_request(self, req, conn):  # type: ignore[no-untyped-def]
        if getattr(conn, "move_on", False):
            conn.move_on = False
            req.must_close = True
        return super().handle_request(req, conn)
