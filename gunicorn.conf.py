"""Gunicorn settings, from the same checked Settings as the app (a bad value stops the start)."""

import logging
import os

from app.config import Settings
from app.logs import RedactingFilter

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
errorlog = "/dev/stdout"  # one stream for gunicorn and the app, as containers expect
loglevel = _settings.log_level.lower()
proc_name = "odoo-gateway"

# A read-only root filesystem: no control socket under ~/.gunicorn (gunicornc is not used), and
# the workers' heartbeat files in memory rather than on disk.
control_socket_disable = True
_SHM = "/dev/shm"  # noqa: S108 - a per-container tmpfs, which is what gunicorn's docs advise
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Gunicorn's own log lines (worker crashes, tracebacks) go through the redaction filter too."""
    logging.getLogger("gunicorn.error").addFilter(RedactingFilter(_settings.secrets()))
