"""The change feed under gunicorn (3 workers): a writer with late commits runs while a poller follows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.test_idempotency_gunicorn import mint, serve

pytestmark = pytest.mark.slow
# Longer than a write can take from its stamp to its commit here (0.3 s of commit_delay, plus the
# sandbox's lock and a loaded 2-core machine: more than 1 s was seen under `make test`).
LAG = 3


@pytest.fixture
def gateway(odoo) -> Iterator[str]:
    yield from serve({})


def call(base: str, key: str, name: str, **arguments) -> dict:
    answer = requests.post(base + "/tools/call", headers={"X-API-Key": key}, timeout=30,
                           json={"name": name, "arguments": arguments})
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


@pytest.mark.long  # a writer runs for 5 s, then the poller waits out the lag
def test_a_poller_misses_and_repeats_nothing_while_a_writer_runs(gateway, odoo) -> None:
    key = mint(gateway, odoo)
    odoo.commit_delay = 0.3  # each write lands 0.3 s after its write_date
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    written: dict[int, str] = {}
    stop = threading.Event()

    def writer() -> None:
        targets = call(gateway, key, "create", model="sale.order",
                       values=[{"partner_id": 2, "name": f"W{n}"} for n in range(4)])["ids"]
        version = 0
        while not stop.is_set():
            version += 1
            rid = targets[version % len(targets)]
            call(gateway, key, "write", model="sale.order", ids=[rid], values={"name": f"W v{version}"})
            written[rid] = f"W v{version}"
            if version % 4 == 0:
                made = call(gateway, key, "create", model="sale.order",
                            values={"partner_id": 4, "name": f"N v{version}"})
                written[made["id"]] = f"N v{version}"

    def poll(cursor: str) -> str:
        while True:
            page = call(gateway, key, "changes", model="sale.order", fields=["name"], cursor=cursor,
                        since=start, limit=3, lag_seconds=LAG)
            seen.extend((r["id"], r["write_date"], r["name"]) for r in page["records"])
            cursor = page["cursor"]
            if not page["more"]:
                return cursor

    seen: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=writer)
    thread.start()
    cursor, deadline = "", time.monotonic() + 5
    while time.monotonic() < deadline:
        cursor = poll(cursor)
        time.sleep(0.2)
    stop.set()
    thread.join()
    time.sleep(LAG + 1.5)  # past the horizon: now - lag, rounded down to the second
    poll(cursor)
    assert len(written) >= 6
    assert len(seen) == len(set(seen)), "a change was answered twice"
    last = {rid: name for rid, _, name in seen}
    assert all(last.get(rid) == name for rid, name in written.items()), "a change was missed"
