"""The log writer thread writes queued lines in batches: every line once, in order, none lost."""

from __future__ import annotations

import io
import json
import logging
import threading

from app.base.logs import Handoff, JsonFormatter


def test_lines_from_many_threads_are_each_written_once_in_order() -> None:
    stream = io.StringIO()
    handoff = Handoff(logging.StreamHandler(stream))
    handoff.setFormatter(JsonFormatter())
    logger = logging.Logger("test_log_writer")
    logger.addHandler(handoff)
    writes = []
    original = stream.write
    stream.write = lambda text: writes.append(text) or original(text)  # type: ignore[method-assign]

    def burst(thread: int) -> None:
        for n in range(300):
            logger.info("line", extra={"fields": {"thread": thread, "n": n}})

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handoff.stop()  # writes whatever is still queued
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(entries) == 1200
    for thread in range(4):
        assert [e["n"] for e in entries if e["thread"] == thread] == list(range(300))
    assert len(writes) <= 1200  # batched: never more writes than lines


def test_a_line_logged_after_stop_starts_a_new_writer() -> None:
    stream = io.StringIO()
    handoff = Handoff(logging.StreamHandler(stream))
    handoff.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("test_log_writer_restart")
    logger.addHandler(handoff)
    logger.warning("first")
    handoff.stop()
    logger.warning("second")
    handoff.stop()
    assert stream.getvalue().splitlines() == ["first", "second"]


def test_a_line_that_cannot_be_formatted_loses_no_other(monkeypatch) -> None:
    stream = io.StringIO()
    handoff = Handoff(logging.StreamHandler(stream))
    handoff.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("test_log_writer_bad")
    logger.addHandler(handoff)
    reported = []
    monkeypatch.setattr(handoff.target, "handleError", reported.append)
    logger.warning("before")
    logger.warning("%d", "not a number")  # formatting fails in the writer thread
    logger.warning("after")
    handoff.stop()
    assert stream.getvalue().splitlines() == ["before", "after"]
    assert len(reported) == 1
