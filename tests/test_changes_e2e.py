"""The change feed through HTTP: cursors that miss nothing and repeat nothing, also while a writer runs."""

from __future__ import annotations

import threading
import time

import pytest

FEED = {"model": "res.partner", "fields": ["name"], "lag_seconds": 0}
WRITER_LAG = 3  # longer than stamp-to-commit of a write here, also on a loaded 2-core machine


def feed(api, key, **arguments):
    return api.result(key, "changes", **{**FEED, **arguments})


def follow(api, key, cursor, **arguments) -> tuple[list[dict], str]:
    """Every record the feed gives from ``cursor`` until 'more' is false."""
    seen: list[dict] = []
    while True:
        answer = feed(api, key, cursor=cursor, **arguments)
        seen += answer["records"]
        cursor = answer["cursor"]
        if not answer["more"]:
            return seen, cursor


@pytest.mark.usefixtures("transport")
def test_first_call_pages_through_every_record_in_order(api, any_key, odoo) -> None:
    answer = feed(api, any_key, limit=5)
    assert answer["more"] and answer["count"] == 5 and answer["model"] == "res.partner"
    records, _ = follow(api, any_key, answer["cursor"], limit=5)
    records = answer["records"] + records
    visible = [r["id"] for r in odoo.records("demo", "res.partner") if r["active"]]
    assert sorted(r["id"] for r in records) == visible  # seeded rows share one write_date
    assert [r["id"] for r in records] == sorted(visible)  # write_date asc, id asc
    assert {"id", "name", "write_date", "create_date"} == set(records[0])


def test_next_call_answers_only_what_changed(api, admin_key, odoo) -> None:
    _, cursor = follow(api, admin_key, feed(api, admin_key, limit=50)["cursor"])
    time.sleep(1.1)  # the cursor's second is over
    created = api.result(admin_key, "create", model="res.partner", values=[{"name": "N1"}, {"name": "N2"}])
    api.result(admin_key, "write", model="res.partner", ids=[2], values={"name": "Azure 2"})
    time.sleep(1.1)
    records, cursor = follow(api, admin_key, cursor, limit=2)
    assert sorted(r["id"] for r in records) == sorted([*created["ids"], 2])
    again, _ = follow(api, admin_key, cursor)
    assert again == []


def test_many_records_in_one_second_page_by_id_without_repeats(api, admin_key) -> None:
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    made = api.result(admin_key, "create", model="res.partner",
                      values=[{"name": f"Bulk {n}"} for n in range(23)])["ids"]
    time.sleep(1.1)
    first = feed(api, admin_key, since=start, limit=4)
    records, _ = follow(api, admin_key, first["cursor"], limit=4)
    ids = [r["id"] for r in first["records"] + records]
    assert ids == made  # all 23 share one write_date: 6 pages, none repeated


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_several_stamps_in_one_second_with_ids_out_of_stamp_order(api, admin_key, odoo, limit) -> None:
    """Stamps X2,X3 < X1 (rewritten) < X4 within one second: pages cut anywhere, each id once."""
    for _ in range(5):
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        made = api.result(admin_key, "create", model="res.partner",
                          values=[{"name": "X1"}, {"name": "X2"}, {"name": "X3"}])["ids"]
        api.result(admin_key, "write", model="res.partner", ids=[made[0]], values={"name": "X1 again"})
        made.append(api.result(admin_key, "create", model="res.partner", values={"name": "X4"})["id"])
        stamps = {r["id"]: r["write_date"] for r in odoo.records("demo", "res.partner") if r["id"] in made}
        if len({stamp[:19] for stamp in stamps.values()}) == 1 and len(set(stamps.values())) == 3:
            break
    else:
        pytest.fail("could not write four records within one second")
    time.sleep(1.1)
    first = feed(api, admin_key, since=start, limit=limit)
    records, _ = follow(api, admin_key, first["cursor"], limit=limit)
    ids = [r["id"] for r in first["records"] + records]
    # An earlier attempt in the same second adds its records too: each id once, all of ours.
    assert len(ids) == len(set(ids)) and sorted(i for i in ids if i in made) == sorted(made)


def test_the_lag_holds_back_recent_changes(api, admin_key) -> None:
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    api.result(admin_key, "create", model="res.partner", values={"name": "Fresh"})
    held = feed(api, admin_key, since=start, lag_seconds=30)
    assert held["records"] == [] and not held["more"]
    time.sleep(1.1)  # the second of the write is over
    shown = feed(api, admin_key, cursor=held["cursor"], lag_seconds=0)
    assert [r["name"] for r in shown["records"]] == ["Fresh"]


def test_domain_and_fields_apply(api, admin_key) -> None:
    answer = feed(api, admin_key, domain=[["is_company", "=", True]], fields=["is_company"], limit=100)
    assert answer["records"] and all(r["is_company"] for r in answer["records"])
    assert set(answer["records"][0]) == {"id", "is_company", "write_date", "create_date"}


OTHER_MODEL = "eyJtIjoic2FsZS5vcmRlciIsInQiOiIyMDI2LTAxLTAxIDAwOjAwOjAwIiwic2VlbiI6W119"


@pytest.mark.parametrize("cursor", ["nope", OTHER_MODEL])
def test_a_foreign_or_broken_cursor_is_a_400(api, admin_key, odoo, cursor) -> None:
    answer = api.call(admin_key, "changes", model="res.partner", cursor=cursor)
    assert answer.status_code == 400 and "cursor" in answer.json["error"]
    assert not api.odoo_calls()


def test_bad_since_and_scope(api, odoo) -> None:
    key = api.key(scope="sale.order:R")
    assert api.call(key, "changes", model="res.partner").status_code == 403
    assert api.call(key, "changes", model="sale.order", since="yesterday").status_code == 400
    assert not api.odoo_calls()


@pytest.mark.long  # a writer runs for 4 s, then the poller waits out the lag
def test_a_writer_running_with_late_commits_loses_and_repeats_nothing(api, admin_key, odoo) -> None:
    """Writes commit up to 0.3 s after their stamp; a poller with a 3 s lag sees each final value once."""
    odoo.commit_delay = 0.3
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    targets = [api.result(admin_key, "create", model="res.partner", values={"name": f"W{n} v0"})["id"]
               for n in range(5)]
    written: dict[int, str] = {}
    stop = threading.Event()

    def writer() -> None:
        from tests.conftest import Api
        local = Api(api.client.application.test_client(), odoo)
        version = 0
        while not stop.is_set():
            version += 1
            rid = targets[version % len(targets)]
            name = f"W{targets.index(rid)} v{version}"
            answer = local.call(admin_key, "write", model="res.partner", ids=[rid], values={"name": name})
            assert answer.status_code == 200
            written[rid] = name
            if version % 3 == 0:
                made = local.result(admin_key, "create", model="res.partner",
                                    values={"name": f"New v{version}"})
                written[made["id"]] = f"New v{version}"

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[tuple[int, str, str]] = []
    cursor = feed(api, admin_key, since=start, lag_seconds=WRITER_LAG, limit=3)
    seen += [(r["id"], r["write_date"], r["name"]) for r in cursor["records"]]
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        records, token = follow(api, admin_key, cursor["cursor"], lag_seconds=WRITER_LAG, limit=3)
        seen += [(r["id"], r["write_date"], r["name"]) for r in records]
        cursor = {"cursor": token}
        time.sleep(0.2)
    stop.set()
    thread.join()
    time.sleep(WRITER_LAG + 1.5)  # past the horizon: now - lag, rounded down to the second
    records, _ = follow(api, admin_key, cursor["cursor"], lag_seconds=WRITER_LAG, limit=3)
    seen += [(r["id"], r["write_date"], r["name"]) for r in records]
    assert len(written) > 5
    assert len(seen) == len(set(seen)), "a change was answered twice"
    last = {rid: name for rid, _, name in seen}
    assert all(last.get(rid) == name for rid, name in written.items()), "a change was missed"
    assert len({(rid, stamp) for rid, stamp, _ in seen}) == len(seen)
