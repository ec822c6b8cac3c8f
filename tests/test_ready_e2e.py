"""Readiness: named checks, 200 when all pass, 503 in the error shape naming the failed ones."""

from __future__ import annotations

from app.api.readiness import add_check


def test_ready_lists_the_config_check(client) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["checks"]["config"]["ok"] is True


def test_a_failing_check_makes_it_not_ready(make_app, odoo) -> None:
    app = make_app()

    def revocation_store() -> str:
        raise ConnectionError("revocation store at redis:6379 unreachable")

    add_check(app, "revocation_store", revocation_store)
    add_check(app, "other", lambda: "3 items")
    response = app.test_client().get("/ready", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "not_ready" and body["request_id"] == "probe-1"
    assert "revocation_store" in body["error"] and "config" not in body["error"]
    assert body["checks"]["revocation_store"] == {
        "ok": False, "detail": "revocation store at redis:6379 unreachable"}
    assert body["checks"]["other"] == {"ok": True, "detail": "3 items"}
    assert body["checks"]["config"]["ok"] is True
    assert not odoo.calls, "readiness never contacts Odoo"


def test_liveness_stays_up_when_not_ready(make_app) -> None:
    app = make_app()
    add_check(app, "broken", lambda: 1 / 0)
    client = app.test_client()
    assert client.get("/ready").status_code == 503
    assert client.get("/health").status_code == 200


def test_unreachable_revocation_store_is_not_ready(make_app) -> None:
    client = make_app(redis_url="redis://:store-password-789@127.0.0.1:1/0").test_client()
    response = client.get("/ready")
    assert response.status_code == 503
    check = response.json["checks"]["revocation_store"]
    assert check["ok"] is False and "store-password-789" not in response.get_data(as_text=True)
    assert client.get("/health").status_code == 200
