"""Webhook subscriptions through HTTP against the sandbox, to a local receiver that fails on purpose.

The dispatcher runs as in a worker (its thread, polling every few ms) or one round at a time
(``run_once``); tests wait on the receiver's deliveries, never on a fixed sleep.
"""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.api.webhooks import start_dispatcher, stop_dispatcher
from tests.webhook_receiver import Receiver

FAST = {"webhook_allow_private": True, "changes_lag_seconds": 0.0, "webhook_poll_seconds": 0.02,
        "webhook_backoff_seconds": 0.05, "webhook_backoff_max_seconds": 0.2,
        "webhook_timeout_seconds": 2.0, "webhook_lease_seconds": 5.0}


@pytest.fixture
def hook():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def wapp(make_app, tmp_path):
    made = []

    def build(**overrides):
        made.append(make_app(**{**FAST, "webhook_db": str(tmp_path / "webhooks.sqlite3"), **overrides}))
        return made[-1]

    yield build
    for app in made:
        stop_dispatcher(app, timeout=5)


@pytest.fixture
def app(wapp):
    return wapp()


def subscribe(client, key, url, **body):
    body = {"model": "res.partner", "url": url, "fields": ["name", "email"], **body}
    response = client.post("/subscriptions", headers={"X-API-Key": key},
                           json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 201, response.json
    return response.json


def show(client, key, sub_id):
    response = client.get(f"/subscriptions/{sub_id}", headers={"X-API-Key": key})
    assert response.status_code == 200, response.json
    return response.json


def next_second() -> None:
    """Wait for the clock's next whole second: Odoo stamps, and the feed's horizon moves, by seconds."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.01)


def until(check, seconds=15.0):
    """Poll ``check`` (a state read through HTTP) until true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_changes_arrive_signed_in_order_created_then_updated(app, client, api, admin_key, hook) -> None:
    sub = subscribe(client, admin_key, hook.url, description="to the test receiver")
    assert sub["secret"].startswith("whsec_") and sub["state"] == "active"
    assert "secret" not in show(client, admin_key, sub["id"])  # shown once
    made = api.result(admin_key, "create", model="res.partner", values={"name": "Hooked", "email": "h@x.io"})
    start_dispatcher(app)
    first = hook.wait_for(1)[0]
    event = first.json["events"][0]
    assert (event["type"], event["model"], event["id"]) == ("created", "res.partner", made["id"])
    assert event["data"]["name"] == "Hooked" and event["changed_at"].endswith("Z")
    assert Webhook(sub["secret"]).verify(first.body, first.headers)["subscription"] == sub["id"]
    with pytest.raises(WebhookVerificationError):
        Webhook(sub["secret"]).verify(first.body + b" ", first.headers)
    next_second()  # a write in a later second than the create: Odoo then stamps write_date later
    api.result(admin_key, "write", model="res.partner", ids=[made["id"]], values={"name": "Rehooked"})
    second = hook.wait_for(2)[1].json["events"]
    assert [(e["type"], e["data"]["name"]) for e in second] == [("updated", "Rehooked")]
    state = until(lambda: (s := show(client, admin_key, sub["id"]))["delivered"] == 2 and s)
    assert state["last_delivery"]["status"] == 200 and state["in_flight"] is None
    assert first.headers["webhook-id"] != hook.requests[1].headers["webhook-id"]


def test_a_batch_holds_up_to_n_events_and_nothing_is_missed_or_repeated(wapp, api, hook) -> None:
    app = wapp(webhook_batch_size=3)
    client = app.test_client()
    key = api.__class__(client, api.odoo).key()
    subscribe(client, key, hook.url)
    ids = [api.__class__(client, api.odoo).result(key, "create", model="res.partner",
                                                   values={"name": f"P{n}"})["id"] for n in range(8)]
    start_dispatcher(app)
    until(lambda: len(hook.events()) >= 8)
    assert [e["id"] for e in hook.events()] == ids  # every one once, in order
    assert max(len(d.json["events"]) for d in hook.requests) == 3


def test_retries_keep_the_webhook_id_back_off_and_honour_retry_after(app, client, api, admin_key,
                                                                     hook) -> None:
    hook.answers = [500, 503, (429, {"Retry-After": "1"}), 200]
    sub = subscribe(client, admin_key, hook.url)
    api.result(admin_key, "create", model="res.partner", values={"name": "Retried"})
    start_dispatcher(app)
    got = hook.wait_for(4)
    assert len({d.headers["webhook-id"] for d in got}) == 1  # one batch, one id, four attempts
    assert len({d.headers["webhook-signature"] for d in got}) >= 1
    for delivery in got:  # each attempt is signed afresh (its own timestamp) and verifies
        Webhook(sub["secret"]).verify(delivery.body, delivery.headers)
    gaps = [b.at - a.at for a, b in zip(got, got[1:], strict=False)]
    assert gaps[0] >= 0.025 and gaps[1] >= 0.05  # full jitter between half and all of 0.05, 0.1
    assert gaps[2] >= 0.95  # Retry-After: 1 beats the backoff's 0.2 s ceiling
    state = until(lambda: (s := show(client, admin_key, sub["id"]))["delivered"] == 1 and s)
    assert state["retries"] == 3 and state["failures"] == 3 and state["dead_letters"] == []


def test_dead_letter_after_the_bound_then_the_next_changes_flow(wapp, api, hook) -> None:
    app = wapp(webhook_retry_seconds=0.4)
    client = app.test_client()
    helper = api.__class__(client, api.odoo)
    key = helper.key()
    hook.answers = [500] * 1000
    sub = subscribe(client, key, hook.url)
    helper.result(key, "create", model="res.partner", values={"name": "Doomed"})
    start_dispatcher(app)
    state = until(lambda: (s := show(client, key, sub["id"]))["dead_letters"] and s)
    dead = state["dead_letters"][0]
    assert dead["reason"] == "HTTP 500" and dead["attempts"] >= 2
    assert dead["events"][0]["data"]["name"] == "Doomed"
    attempts = len(hook.requests)
    assert all(d.headers["webhook-id"] == dead["webhook_id"] for d in hook.requests[:attempts])
    hook.answers = []
    next_second()  # the feed answers a second once it is over (lag 0)
    helper.result(key, "create", model="res.partner", values={"name": "Next"})
    until(lambda: any(e["data"]["name"] == "Next" for e in hook.events()))
    assert [e["data"]["name"] for e in hook.events()].count("Next") == 1


def test_a_404_is_retried_like_n8n_with_its_workflow_switched_off(app, client, api, admin_key, hook) -> None:
    hook.answers = [404, 401]  # real n8n 2.8.4: 404 while the workflow is inactive
    sub = subscribe(client, admin_key, hook.url)
    api.result(admin_key, "create", model="res.partner", values={"name": "Waiting for n8n"})
    start_dispatcher(app)
    got = hook.wait_for(3)
    assert len({d.headers["webhook-id"] for d in got}) == 1
    state = until(lambda: (s := show(client, admin_key, sub["id"]))["delivered"] == 1 and s)
    assert state["dead_letters"] == [] and state["retries"] == 2


def test_410_disables_and_resume_sends_the_same_batch_again(app, client, api, admin_key, hook) -> None:
    hook.answers = [410]
    sub = subscribe(client, admin_key, hook.url)
    api.result(admin_key, "create", model="res.partner", values={"name": "Gone"})
    start_dispatcher(app)
    state = until(lambda: (s := show(client, admin_key, sub["id"]))["state"] == "disabled" and s)
    assert "410" in state["reason"] and state["in_flight"]["events"] == 1
    assert len(hook.requests) == 1
    resumed = client.post(f"/subscriptions/{sub['id']}/resume", headers={"X-API-Key": admin_key})
    assert resumed.status_code == 200 and resumed.json["state"] == "active"
    got = hook.wait_for(2)
    assert got[1].headers["webhook-id"] == got[0].headers["webhook-id"]


def test_pause_holds_changes_and_replay_sends_them_again(app, client, api, admin_key, hook) -> None:
    sub = subscribe(client, admin_key, hook.url)
    paused = client.post(f"/subscriptions/{sub['id']}/pause", headers={"X-API-Key": admin_key})
    assert paused.json["state"] == "paused"
    made = api.result(admin_key, "create", model="res.partner", values={"name": "Waited"})
    dispatcher = app.extensions["webhook_dispatcher"]
    next_second()  # past the horizon: a paused subscription would have it by now
    assert dispatcher.run_once() == 0 and hook.requests == []
    client.post(f"/subscriptions/{sub['id']}/resume", headers={"X-API-Key": admin_key})
    assert dispatcher.run_once() == 1 and [e["id"] for e in hook.events()] == [made["id"]]
    since = sub["created_at"]
    again = client.post(f"/subscriptions/{sub['id']}/replay", headers={"X-API-Key": admin_key},
                        json={"since": since})
    assert again.status_code == 200 and again.json["replay_from"] == since
    assert dispatcher.run_once() == 1 and [e["id"] for e in hook.events()] == [made["id"]] * 2


def test_a_field_restricted_key_never_delivers_a_hidden_field(app, client, api, hook) -> None:
    key = api.key(scope="res.partner:R[-email,-phone]W")
    asked = client.post("/subscriptions", headers={"X-API-Key": key},
                        json={"model": "res.partner", "url": hook.url, "fields": ["name", "email"]})
    assert asked.status_code == 403, asked.json  # asking for a hidden field is refused at once
    sub = subscribe(client, key, hook.url, fields=None)
    assert sub["fields"] is None
    api.result(key, "create", model="res.partner", values={"name": "Private", "email": "p@x.io",
                                                            "phone": "+1 555"})
    start_dispatcher(app)
    data = hook.wait_for(1)[0].json["events"][0]["data"]
    assert data["name"] == "Private" and "email" not in data and "phone" not in data
    assert b"p@x.io" not in hook.requests[0].body


def test_a_revoked_key_stops_its_subscription(app, client, api, admin_key, hook) -> None:
    sub = subscribe(client, admin_key, hook.url)
    assert client.post("/auth/revoke", json={"api_key": admin_key}).status_code == 200
    api.result(api.key(), "create", model="res.partner", values={"name": "After revocation"})
    next_second()  # the feed answers a second once it is over (lag 0)
    dispatcher = app.extensions["webhook_dispatcher"]
    assert dispatcher.run_once() == 0
    record = app.extensions["subscriptions"].store.get(sub["id"])
    assert record["state"] == "stopped" and json.loads(record["progress"])["reason"] == "key_revoked"
    assert hook.requests == [] and hook.connections == 0
    assert dispatcher.run_once() == 0 and hook.connections == 0


def test_an_expired_key_stops_its_subscription(app, client, api, hook) -> None:
    key = api.key(expires_in=2)
    sub = subscribe(client, key, hook.url)
    until(lambda: app.extensions["webhook_dispatcher"].run_once() == 0
          and app.extensions["subscriptions"].store.get(sub["id"])["state"] == "stopped", seconds=10)
    assert hook.connections == 0


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x",
                                 "ftp://example.com/x", "http://user:pw@127.0.0.1/x"])
def test_url_policy_refuses_metadata_and_odd_urls_even_when_private_is_allowed(client, admin_key,
                                                                              url) -> None:
    response = client.post("/subscriptions", headers={"X-API-Key": admin_key},
                           json={"model": "res.partner", "url": url})
    assert response.status_code == 403 and response.json["status"] == "url_not_allowed"
    assert client.get("/subscriptions", headers={"X-API-Key": admin_key}).json["count"] == 0


def test_private_addresses_refused_unless_allowed_before_any_connection(wapp, api, hook) -> None:
    app = wapp(webhook_allow_private=False)
    client = app.test_client()
    key = api.__class__(client, api.odoo).key()
    response = client.post("/subscriptions", headers={"X-API-Key": key},
                           json={"model": "res.partner", "url": hook.url})
    assert response.status_code == 403 and "WEBHOOK_ALLOW_PRIVATE" in response.json["error"]
    assert hook.connections == 0


def test_allow_list_refuses_other_origins_and_policy_is_checked_again_at_delivery(wapp, api, hook,
                                                                                   tmp_path) -> None:
    listed = wapp(webhook_allowed_urls=("http://127.0.0.1:1",))
    client = listed.test_client()
    key = api.__class__(client, api.odoo).key()
    refused = client.post("/subscriptions", headers={"X-API-Key": key},
                          json={"model": "res.partner", "url": hook.url})
    assert refused.status_code == 403 and "WEBHOOK_ALLOWED_URLS" in refused.json["error"]
    # Subscribed while allowed; then the operator narrows the policy: the next delivery refuses.
    opened = wapp()
    sub = subscribe(opened.test_client(), key, hook.url)
    api.__class__(opened.test_client(), api.odoo).result(key, "create", model="res.partner",
                                                          values={"name": "Never sent"})
    closed = wapp(webhook_allow_private=False)
    next_second()  # the feed answers a second once it is over (lag 0)
    closed.extensions["webhook_dispatcher"].run_once()
    record = closed.extensions["subscriptions"].store.get(sub["id"])
    assert record["state"] == "disabled" and "url_not_allowed" in json.loads(record["progress"])["reason"]
    assert hook.connections == 0


def test_subscriptions_belong_to_their_key_and_need_r(client, api, admin_key, hook) -> None:
    sub = subscribe(client, admin_key, hook.url)
    other = api.key()
    assert client.get(f"/subscriptions/{sub['id']}", headers={"X-API-Key": other}).status_code == 404
    assert client.delete(f"/subscriptions/{sub['id']}", headers={"X-API-Key": other}).status_code == 404
    assert client.get("/subscriptions", headers={"X-API-Key": other}).json["count"] == 0
    no_read = api.key(scope="sale.order:R")
    denied = client.post("/subscriptions", headers={"X-API-Key": no_read},
                         json={"model": "res.partner", "url": hook.url})
    assert denied.status_code == 403 and denied.json["status"] == "permission_denied"
    assert client.post("/subscriptions", json={"model": "res.partner", "url": hook.url}).status_code == 401
    bad = client.post("/subscriptions", headers={"X-API-Key": admin_key}, json={"model": "res.partner"})
    assert bad.status_code == 400 and "url" in bad.json["error"]
    listed = client.get("/subscriptions", headers={"X-API-Key": admin_key}).json
    assert [s["id"] for s in listed["subscriptions"]] == [sub["id"]]
    gone = client.delete(f"/subscriptions/{sub['id']}", headers={"X-API-Key": admin_key})
    assert gone.json == {"id": sub["id"], "status": "deleted"}
    assert client.get(f"/subscriptions/{sub['id']}", headers={"X-API-Key": admin_key}).status_code == 404


def test_timeouts_and_connection_errors_are_retried_within_bounds(wapp, api, hook) -> None:
    app = wapp(webhook_timeout_seconds=0.3, webhook_lease_seconds=2.0)
    client = app.test_client()
    helper = api.__class__(client, api.odoo)
    key = helper.key()
    sub = subscribe(client, key, hook.url)
    helper.result(key, "create", model="res.partner", values={"name": "Slow"})
    hook.hold.clear()  # the receiver does not answer in time
    start_dispatcher(app)
    hook.wait_for(2)  # a second attempt after the first timed out
    hook.hold.set()
    state = until(lambda: (s := show(client, key, sub["id"]))["delivered"] >= 1 and s)
    assert state["retries"] >= 1
    assert len({d.headers["webhook-id"] for d in hook.requests}) == 1


def test_metrics_count_deliveries_and_lag(app, client, api, admin_key, hook) -> None:
    subscribe(client, admin_key, hook.url)
    hook.answers = [503]
    api.result(admin_key, "create", model="res.partner", values={"name": "Measured"})
    start_dispatcher(app)
    hook.wait_for(2)
    text = until(lambda: (t := client.get("/metrics").get_data(as_text=True))
                 and "gateway_webhook_deliveries_total 1.0" in t and t)
    assert "gateway_webhook_retries_total 1.0" in text
    assert 'gateway_webhook_failures_total{outcome="503"} 1.0' in text
    assert "gateway_webhook_lag_seconds_count 1.0" in text


def test_a_subscription_sealed_with_a_retired_key_stops_and_others_flow(wapp, api, hook) -> None:
    from cryptography.fernet import Fernet

    old = wapp()
    old_key = api.__class__(old.test_client(), api.odoo).key()
    retired = subscribe(old.test_client(), old_key, hook.url)
    new = wapp(encryption_keys=(Fernet.generate_key(),))  # ENCRYPTION_KEY rotated, the old one dropped
    helper = api.__class__(new.test_client(), api.odoo)
    key = helper.key()
    subscribe(new.test_client(), key, hook.url)
    made = helper.result(key, "create", model="res.partner", values={"name": "Still flowing"})
    next_second()  # the feed answers a second once it is over (lag 0)
    assert new.extensions["webhook_dispatcher"].run_once() == 1
    assert [e["id"] for e in hook.events()] == [made["id"]]
    record = new.extensions["subscriptions"].store.get(retired["id"])
    reason = json.loads(record["progress"])["reason"]
    assert record["state"] == "stopped" and "retired ENCRYPTION_KEY" in reason
