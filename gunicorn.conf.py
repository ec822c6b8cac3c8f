"""Gunicorn settings, from the same checked Settings as the app (a bad value stops the start)."""

import contextlib
import gc
import logging
import os
import queue
import shutil
import signal
import sys
import tempfile

from gunicorn.glogging import Logger

from app.base import logs
from app.base.config import Settings
from app.base.logs import RedactingFilter

_PREFIX = "odoo-gateway-metrics-"


def _remove_orphans(parent: str) -> None:
    """Remove metrics directories left by masters that were killed before their on_exit hook."""
    for entry in os.scandir(parent):
        pid = entry.name[len(_PREFIX):].partition("-")[0]
        if not (entry.name.startswith(_PREFIX) and pid.isdigit() and entry.is_dir()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)
        except PermissionError:
            pass  # alive, under another user


# Under gunicorn the log is read by machines: one JSON object per line unless LOG_FORMAT says text.
os.environ.setdefault("LOG_FORMAT", "json")
_settings = Settings.from_env()
_own_metrics_dir = None
if _settings.metrics_enabled and not _settings.metrics_dir:
    # prometheus_client reads this when the app imports it (after this file): each worker then
    # writes its values to files there, and a scrape of any worker sums them all.
    # /dev/shm first: it is RAM, and stays writable in a container with a read-only filesystem.
    for _parent in ("/dev/shm", tempfile.gettempdir()):  # noqa: S108 - mkdtemp makes a private dir
        if os.path.isdir(_parent) and os.access(_parent, os.W_OK):
            _remove_orphans(_parent)
            _own_metrics_dir = tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=_parent)
            break
    else:
        raise SystemExit("METRICS_ENABLED needs a writable directory for the workers' metrics: set "
                         "PROMETHEUS_MULTIPROC_DIR (a tmpfs), or METRICS_ENABLED=false")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir
elif _settings.metrics_enabled and _settings.metrics_dir:
    # Files left by an earlier run would be summed in: start the counters from zero.
    for _name in os.listdir(_settings.metrics_dir):
        if _name.endswith(".db"):
            os.remove(os.path.join(_settings.metrics_dir, _name))
_metrics_dir = _settings.metrics_dir or _own_metrics_dir

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
threads = _settings.gunicorn_threads
# gthread, spreading callers over the workers by their free threads (see the module).
worker_class = "app.base.worker.ThreadWorker"
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


class GatewayLogger(Logger):
    """Gunicorn's own lines (start, workers, shutdown, tracebacks) in the app's LOG_FORMAT."""

    def _set_handler(self, log, output, fmt, stream=None):  # type: ignore[no-untyped-def]
        json_lines = _settings.log_format == "json"
        super()._set_handler(log, output, logs.JsonFormatter() if json_lines else fmt, stream)


logger_class = GatewayLogger

# A read-only root filesystem: no control socket under ~/.gunicorn (gunicornc is not used), and
# the workers' heartbeat files in memory rather than on disk.
control_socket_disable = True
_SHM = "/dev/shm"  # noqa: S108 - a per-container tmpfs, which is what gunicorn's docs advise
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Gunicorn's own log lines (worker crashes, tracebacks) go through the redaction filter too."""
    logging.getLogger("gunicorn.error").addFilter(RedactingFilter(_settings.secrets()))

def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A dead worker's gauges (pool size) must leave the sums; its counters stay counted."""
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Finish (or hand back) the webhook delivery in flight, write out the worker's queued log lines
    (not one is lost), then leave at once.

    Python's own exit would then take apart every object of the worker, most of them still shared
    with the master since the fork (copy-on-write): a fifth of a second of CPU per worker, seconds
    on a busy machine, for what the kernel does anyway (sockets, files; SQLite keeps what was
    committed). The status gunicorn is exiting with is kept (a boot error must still stop the
    master), and a worker that never booted takes the ordinary way out.
    """
    from app.api.webhooks import stop_dispatcher

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        # Within the graceful timeout's remainder: a delivery still running stays stored for the next owner.
        stop_dispatcher(app, timeout=max(1.0, _settings.webhook_timeout_seconds + 1))
    logs.flush()
    leaving = sys.exc_info()[1]
    if worker.booted and isinstance(leaving, SystemExit) and isinstance(leaving.code, int | None):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit((leaving.code or 0) & 0xFF)


def on_exit(server):  # type: ignore[no-untyped-def]
    logs.flush()
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)

def _collect_less() -> None:
    """The worker's garbage collector skips what the master loaded, and runs less often.

    Everything loaded before the fork (the app, its libraries: about 60,000 objects) lives as
    long as the worker, yet each full collection walked all of it while every thread waited: 26
    full collections in 4,000 calls, and 0.2 ms of CPU per call spent collecting in all.
    Frozen, they are never walked (nor their copy-on-write pages touched). A call holds about 600
    objects while it runs, and 16 run at once: at the default threshold of 700 a young
    collection ran about once per call, at 10,000 three times in 4,000 calls, and a cycle is
    still collected within 10,000 allocations. (docs/performance.md has the figures.)
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def post_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Keep a stop signal that reaches a worker while it boots: stop it once booted.

    From the fork until this hook the worker still has the master's handlers, which only queue
    the signal in the worker's copy of the master's queue: the worker would serve on, and the
    master wait for it for the whole graceful timeout (35 s). On a busy machine a stop right after
    a start lands there (the master runs on after the fork, the new worker waits for a CPU): so
    the signals queued in that copy are read here, and later ones are caught until the worker's
    own handlers take over.
    """

    def stop_when_booted(signum, frame) -> None:  # type: ignore[no-untyped-def]
        worker.alive = False

    signal.signal(signal.SIGTERM, stop_when_booted)
    signal.signal(signal.SIGINT, stop_when_booted)
    signal.signal(signal.SIGQUIT, stop_when_booted)
    _collect_less()
    while True:
        try:
            queued = server.SIG_QUEUE.get_nowait()
        except queue.Empty:
            break
        if queued in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            worker.alive = False


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """On SIGTERM, close this worker's listening sockets before draining its calls in flight.

    gthread only stops polling them, so new connections would queue unanswered in the kernel's
    backlog for the whole graceful_timeout; closed, they are refused at once and a client or load
    balancer can go elsewhere. gthread's own handler then stops the worker and wakes its poller
    (without that wake-up the worker notices the stop only at its next 1 s poll).
    """
    gthread_exit = worker.handle_exit

    def handle_exit(signum, frame) -> None:  # type: ignore[no-untyped-def]
        dispatcher = getattr(worker.wsgi, "extensions", {}).get("webhook_dispatcher")
        if dispatcher is not None:
            dispatcher.signal_stop()  # no new webhook delivery; the one in flight goes on
        worker.set_accept_enabled(False)
        listeners, worker.sockets = worker.sockets, []  # nothing can re-register them now
        for listener in listeners:
            listener.close()
        gthread_exit(signum, frame)

    signal.signal(signal.SIGTERM, handle_exit)
    # Webhook deliveries run in a thread of each worker (no extra process); see docs/webhooks.md.
    from app.api.webhooks import start_dispatcher

    if hasattr(worker.wsgi, "extensions"):
        start_dispatcher(worker.wsgi)
