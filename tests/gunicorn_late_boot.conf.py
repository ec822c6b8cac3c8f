"""gunicorn.conf.py with workers that boot only once a stop signal has reached them.

As on a busy machine, where a new worker waits for a CPU while the master, asked to stop, already
signals it: the signal arrives while the worker still has the master's handlers. Used by
tests/test_gunicorn.py.
"""

import runpy
import time
from pathlib import Path

globals().update(runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")))
_post_fork = post_fork  # noqa: F821 - defined by gunicorn.conf.py just above


def post_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Wait (at most 20 s) until a signal reaches this worker through the master's handlers."""
    deadline = time.monotonic() + 20
    while server.SIG_QUEUE.empty() and time.monotonic() < deadline:
        time.sleep(0.01)
    _post_fork(server, worker)
