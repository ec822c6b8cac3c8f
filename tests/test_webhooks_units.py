"""Webhooks' parts on their own: the subscription store on both back ends (SQLite, and Redis through
fakeredis: leases held by one owner at a time, taken over once expired; writes never bring back a
deleted subscription), Retry-After, and the sender's bounds (connected address, answer size)."""

from __future__ import annotations

import time

import fakeredis
import pytest

from app.core.automations.webhook_http import retry_after
from app.stores.subscriptions import RedisSubscriptionStore, SqliteSubscriptionStore


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = SqliteSubscriptionStore(str(tmp_path / "webhooks.sqlite3"))
    else:
        made = RedisSubscriptionStore(fakeredis.FakeRedis(decode_responses=True))
    yield made
    made.close()


def record(key_id: str = "k1") -> dict:
    return {"key_id": key_id, "config": "{}", "state": "active", "progress": "{}", "replay": "", "dead": "[]"}


def test_one_owner_at_a_time_and_a_take_over_after_expiry(store) -> None:
    assert store.claim("sub_1", "a", 30)
    assert not store.claim("sub_1", "b", 30)  # held
    assert store.claim("sub_1", "a", 0.2)  # renewed by its owner (for a short while)
    assert store.owner("sub_1") == "a"
    time.sleep(0.25)  # the lease's own expiry is what is tested here
    assert store.claim("sub_1", "b", 5)  # expired: taken over
    assert not store.claim("sub_1", "a", 5)
    store.release("sub_1", "a")  # not a's any more: nothing happens
    assert store.owner("sub_1") == "b"
    store.release("sub_1", "b")
    assert store.owner("sub_1") is None and store.claim("sub_1", "a", 5)


def test_writes_reach_existing_subscriptions_only(store) -> None:
    store.create("sub_1", record())
    store.create("sub_2", record("k2"))
    assert store.set("sub_1", state="paused", progress='{"cursor": "x"}')
    assert store.get("sub_1")["state"] == "paused" and store.get("sub_1")["progress"] == '{"cursor": "x"}'
    assert [r["id"] for r in store.by_key("k1")] == ["sub_1"] and store.ids() == ["sub_1", "sub_2"]
    assert store.delete("sub_1") and not store.delete("sub_1")
    assert not store.set("sub_1", progress="{}")  # a dispatcher finishing late does not resurrect it
    assert store.get("sub_1") is None and store.by_key("k1") == [] and store.ids() == ["sub_2"]


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 3 ", 3.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)])
def test_retry_after_in_seconds_or_as_a_date(header, seconds) -> None:
    assert retry_after(header, time.time()) == seconds


def test_retry_after_as_a_future_date() -> None:
    from email.utils import formatdate

    now = time.time()
    assert 59 <= retry_after(formatdate(now + 60, usegmt=True), now) <= 61


def test_the_connected_address_is_checked_before_a_byte_is_sent() -> None:
    """DNS rebinding: the name passed the check, the socket reached a refused address."""
    from app.base.errors import UrlNotAllowed
    from app.core.automations.webhook_http import Sender, WebhookPolicy
    from tests.webhook_receiver import Receiver

    class Rebound(WebhookPolicy):
        def check(self, url: str) -> None:  # the name resolved to somewhere allowed...
            pass

    with Receiver() as hook:
        sender = Sender(Rebound(allow_private=False), timeout=2.0, max_answer_bytes=100)
        with pytest.raises(UrlNotAllowed):  # ...but the connection reached loopback
            sender.post(hook.url, b"{}", {}, time.time())
        sender.close()
        assert hook.requests == []


def test_a_receivers_answer_is_read_only_up_to_the_bound() -> None:
    """A receiver answering 200 with a huge, slow body: the sender takes the status and hangs up."""
    import socket
    import threading

    from app.core.automations.webhook_http import Sender, WebhookPolicy

    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 4096)
            done.wait(10)  # the rest never comes: reading it all would hang until the timeout

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sender = Sender(WebhookPolicy(allow_private=True), timeout=5.0, max_answer_bytes=1000)
    started = time.monotonic()
    answer = sender.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", b"{}", {}, time.time())
    assert answer.status == 200 and time.monotonic() - started < 2.0
    done.set()
    sender.close()
    thread.join(5)
    listener.close()
