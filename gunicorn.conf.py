"""Gunicorn settings, from the same checked Settings as the app (a bad value stops the start)."""

import signal

from app.config import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
threads = _settings.gunicorn_threads
worker_class = "gthread"
# The app is built once in the master and forked: a bad setting fails before any worker starts,
# and workers share the loaded code's memory.
preload_app = True
# A worker thread waits on Odoo for at most ODOO_TIMEOUT_SECONDS; leave room before killing it.
timeout = int(_settings.odoo_timeout_seconds) + 30
graceful_timeout = int(_settings.odoo_timeout_seconds) + 5
keepalive = 75
accesslog = None  # the app writes one line per request itself
errorlog = "-"
loglevel = _settings.log_level.lower()
proc_name = "odoo-gateway"


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """On SIGTERM, close this worker's listening sockets before draining its calls in flight.

    gthread only stops polling them, so new connections would queue unanswered in the kernel's
    backlog for the whole graceful_timeout; closed, they are refused at once and a client or load
    balancer can go elsewhere.
    """

    def handle_exit(signum, frame) -> None:  # type: ignore[no-untyped-def]
        worker.set_accept_enabled(False)
        listeners, worker.sockets = worker.sockets, []  # nothing can re-register them now
        for listener in listeners:
            listener.close()
        worker.alive = False

    signal.signal(signal.SIGTERM, handle_exit)
