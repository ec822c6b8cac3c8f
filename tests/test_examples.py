"""Every example in examples/ runs against a live gateway (gunicorn) and the Odoo double."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.n8n_runner import Run
from tests.test_gunicorn import ROOT, start_gunicorn, stop_gunicorn, wait_healthy

pytestmark = pytest.mark.slow
EXAMPLES = ROOT / "examples"
CURL = EXAMPLES / "curl"
TOOLS = ("search", "read", "search_read", "search_count", "fields_get", "default_get", "create", "write",
         "unlink", "changes", "upsert")
AUTOMATIONS = ("attach_file", "attach_file_base64", "list_attachments", "download_file", "get_report",
               "post_message", "read_messages", "invoice_order", "post_invoice", "register_payment")
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def gateway(odoo_server) -> Iterator[str]:
    process, base = start_gunicorn({"WEB_CONCURRENCY": "1", "GENERATE_RATE_LIMIT": "1000/minute"})
    try:
        wait_healthy(process, base)
        yield base
    finally:
        stop_gunicorn(process)


def mint(gateway: str, odoo, scope: str = "res.partner:RWD,*:R", password: str = "admin") -> str:  # noqa: S107
    """A key for the double's admin, from the password or (``password=ADMIN_KEY``) an Odoo API key."""
    answer = requests.post(gateway + "/auth/generate", timeout=10, json={
        "url": odoo.url, "database": "demo", "username": "admin", "password": password, "scope": scope})
    assert answer.status_code == 200, answer.text
    return answer.json()["api_key"]


def partners(odoo) -> list[dict]:
    """The double's active partners, read directly (archived ones are hidden from searches)."""
    return [r for r in odoo.records("demo", "res.partner") if r.get("active", True)]


def curl(script: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CURL / f"{script}.sh")], env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=30)


def test_there_is_one_curl_script_per_tool() -> None:
    assert {p.stem for p in CURL.glob("*.sh")} == {*TOOLS, "mint", "validate", "upsert_match",
                                                   "idempotent_create", *AUTOMATIONS}


def test_curl_kit_runs_every_tool(gateway, odoo) -> None:
    minted = curl("mint", GATEWAY_URL=gateway, ODOO_URL=odoo.url, ODOO_DB="demo", ODOO_USER="admin",
                  ODOO_PASSWORD="admin")
    assert minted.returncode == 0, minted.stdout + minted.stderr
    key = json.loads(minted.stdout)["api_key"]
    env = {"GATEWAY_URL": gateway, "API_KEY": key}
    results = {}
    for script, extra in [("search", {}), ("search_read", {"SEARCH": "deco"}), ("search_count", {}),
                          ("fields_get", {}), ("default_get", {}), ("create", {"NAME": "Kit Ltd"})]:
        done = curl(script, **env, **extra)
        assert done.returncode == 0, f"{script}: {done.stdout} {done.stderr}"
        results[script] = json.loads(done.stdout)["result"]
    partner = results["create"]["id"]
    for script in ("read", "write", "unlink"):
        done = curl(script, **env, PARTNER_ID=str(partner), PARTNER_IDS=str(partner))
        assert done.returncode == 0, f"{script}: {done.stdout} {done.stderr}"
        results[script] = json.loads(done.stdout)["result"]
    assert results["search"]["ids"] and results["search"]["count"] <= 5
    assert results["search_count"]["count"] == len([p for p in partners(odoo) if p.get("is_company")])
    assert all("deco" in r["name"].lower() for r in results["search_read"]["records"])
    assert results["fields_get"]["fields"]["name"]["type"] == "char"
    assert "active" in results["default_get"]["defaults"]
    assert results["read"]["records"][0]["name"] == "Kit Ltd"
    assert results["write"]["status"] == "updated" and results["unlink"]["status"] == "deleted"
    assert partner not in {p["id"] for p in partners(odoo)}
    valid = curl("validate", **env)
    assert valid.returncode == 0 and json.loads(valid.stdout)["status"] == "valid"


def test_curl_scripts_fail_with_the_json_error(gateway) -> None:
    done = curl("search", GATEWAY_URL=gateway, API_KEY="not-a-key")
    assert done.returncode == 22  # curl's --fail-with-body: scripts stop on a refusal
    assert json.loads(done.stdout)["status"] == "auth_failed"


def test_readme_curl_lines_are_the_scripts() -> None:
    shown = "\n".join(page.read_text() for page in [ROOT / "README.md", *DOCS.glob("*.md")])
    for script in CURL.glob("*.sh"):
        command = script.read_text().split("set -euo pipefail\n\n", 1)[1]
        assert command in shown, f"README.md or a docs/ page must show {script.name}'s command as it is"


def test_python_example(gateway, odoo) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "python" / "gateway_client.py")], capture_output=True, text=True,
        timeout=60, env={**os.environ, "GATEWAY_URL": gateway, "ODOO_URL": odoo.url, "ODOO_DB": "demo",
                         "ODOO_USER": "admin", "ODOO_PASSWORD": "admin"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["partners"] == len(partners(odoo)) - 1  # listed before creating one
    assert report["created_id"] in {p["id"] for p in partners(odoo)}
    assert report["refused"]["http"] == 403 and report["refused"]["status"] == "permission_denied"


def workflow(name: str) -> dict:
    data = json.loads((EXAMPLES / "n8n" / f"{name}.json").read_text())
    names = [node["name"] for node in data["nodes"]]
    assert len(names) == len(set(names)) and data["settings"]["executionOrder"] == "v1"
    for source, outputs in data["connections"].items():
        assert source in names
        assert all(target["node"] in names for output in outputs["main"] for target in output)
    for node in data["nodes"]:
        assert {"id", "name", "type", "typeVersion", "position", "parameters"} <= node.keys()
        if node["type"] == "n8n-nodes-base.httpRequest":
            body = node["parameters"].get("contentType") == "multipart-form-data" or \
                node["parameters"].get("specifyBody") == "json" or not node["parameters"].get("sendBody")
            assert node["typeVersion"] == 4.4 and body
            # A quote in a value would break "{{ $json.x }}": text goes through JSON.stringify.
            assert '"{{' not in node["parameters"].get("jsonBody", ""), node["name"]
    return data


def replay(file: str, gateway: str, static: dict | None = None, **settings) -> Run:
    with requests.Session() as http:
        return Run(workflow(file), {"gateway_url": gateway, **settings}, http, static).start()


def test_every_n8n_workflow_is_replayed() -> None:
    assert {p.stem for p in (EXAMPLES / "n8n").glob("*.json")} == {
        "mint-key", "search-contacts", "create-partner", "paginate-all-records", "handle-errors",
        "sale-order-changes", "invoice-and-pay-order",
        "webhook-receive-changes"}  # replayed by tests/test_webhooks_examples.py (a Webhook trigger)


def test_n8n_mint_key(gateway, odoo) -> None:
    run = replay("mint-key", gateway, odoo_url=odoo.url, database="demo", username="admin", password="admin")
    minted = run.outputs["Mint key"][0]
    assert minted["scope"] == "res.partner:RW,*:R" and minted["api_key"]
    lifetime = datetime.fromisoformat(minted["expires"]) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30), "the example mints keys that expire"


def test_n8n_search_contacts(gateway, odoo) -> None:
    run = replay("search-contacts", gateway, api_key=mint(gateway, odoo), search="deco")
    contacts = run.outputs["One item per contact"]
    assert contacts and all("deco" in c["name"].lower() for c in contacts)
    assert run.requests[0].request.headers["X-API-Key"]


@pytest.mark.parametrize("name", ["Flow Ltd", 'The "Quoted" Company \\ Sons'])
def test_n8n_create_partner(gateway, odoo, name) -> None:
    run = replay("create-partner", gateway, api_key=mint(gateway, odoo), name=name)
    created = run.outputs["Create partner"][0]["result"]
    assert created["status"] == "created"
    assert {p["id"]: p["name"] for p in partners(odoo)}[created["id"]] == name


def test_a_quoted_expression_breaks_like_in_n8n(gateway, odoo) -> None:
    data = workflow("create-partner")
    node = next(n for n in data["nodes"] if n["type"] == "n8n-nodes-base.httpRequest")
    node["parameters"]["jsonBody"] = node["parameters"]["jsonBody"].replace(
        "{{ JSON.stringify($json.name) }}", '"{{ $json.name }}"')
    with requests.Session() as http, pytest.raises(AssertionError, match="valid JSON"):
        Run(data, {"gateway_url": gateway, "api_key": mint(gateway, odoo), "name": 'A "B"'}, http).start()


def test_n8n_paginates_through_all_records(gateway, odoo) -> None:
    run = replay("paginate-all-records", gateway, api_key=mint(gateway, odoo), page_size=4)
    pages = run.history["Records of this page"]
    ids = [record["id"] for page in reversed(pages) for record in page]
    total = len(partners(odoo))
    assert len(pages) == total // 4 + 1 and len(set(ids)) == total
    # n8n (execution order v1) runs the loop above to its end first: the last page arrives first
    assert ids == sorted(ids) and len(pages[0]) == total % 4
    assert run.order.index("Records of this page") > len(run.order) - len(pages) - 1


def test_n8n_handles_a_refusal_on_a_contact_it_created(gateway, odoo) -> None:
    settings = {a["name"] for n in workflow("handle-errors")["nodes"]
                for a in n["parameters"].get("assignments", {}).get("assignments", [])}
    assert "partner_id" not in settings, "the example deletes only the contact it creates itself"
    seeded = {p["id"] for p in partners(odoo)}
    run = replay("handle-errors", gateway, api_key=mint(gateway, odoo, scope="res.partner:RW,*:R"))
    made = run.outputs["Create a contact to delete"][0]["result"]["id"]
    assert made not in seeded and run.outputs.get("Deleted") is None
    explained = run.outputs["Explain the refusal"][0]
    assert explained["http_status"] == 403 and explained["code"] == "permission_denied"
    assert "scope" in explained["what_to_do"] and explained["request_id"]
    assert {p["id"]: p for p in odoo.records("demo", "res.partner")}[made]["active"] is False  # archived
    done = replay("handle-errors", gateway, api_key=mint(gateway, odoo))
    gone = done.outputs["Create a contact to delete"][0]["result"]["id"]
    assert done.outputs["Deleted"][0]["statusCode"] == 200
    assert done.outputs["Deleted"][0]["statusMessage"] == "OK" and "Archive it instead" not in done.runs
    assert gone not in {p["id"] for p in odoo.records("demo", "res.partner")}
    assert seeded == {p["id"] for p in partners(odoo)}  # nothing it did not create was touched


def test_curl_change_feed_upserts_and_idempotent_create(gateway, odoo) -> None:
    env = {"GATEWAY_URL": gateway, "API_KEY": mint(gateway, odoo)}

    def run(script: str, **extra: str) -> dict:
        done = curl(script, **env, **extra)
        assert done.returncode == 0, f"{script}: {done.stdout} {done.stderr}"
        return json.loads(done.stdout)["result"]

    feed = run("changes")
    assert [r["name"] for r in feed["records"]] == [o["name"] for o in odoo.records("demo", "sale.order")]
    assert run("changes", CURSOR=feed["cursor"])["records"] == []
    made, again = run("upsert"), run("upsert", NAME="Renamed Ltd")
    assert made["status"] == "created" and again == {**made, "status": "updated"}
    assert {p["id"]: p["name"] for p in partners(odoo)}[made["id"]] == "Renamed Ltd"
    first, second = run("upsert_match"), run("upsert_match", NAME="Ada King")
    assert (first["status"], second["status"], second["id"]) == ("created", "updated", first["id"])
    odoo.clear_calls()
    once = [run("idempotent_create", IDEMPOTENCY_KEY="kit-1") for _ in range(3)]
    assert once[0] == once[1] == once[2] and odoo.count(model_method="create") == 1


def test_n8n_sale_order_changes_acts_on_each_change_once(gateway, odoo) -> None:
    import time

    key, static = mint(gateway, odoo, scope="sale.order:RW,*:R"), {}
    run = replay("sale-order-changes", gateway, static, api_key=key, page_size=2, lag_seconds=0)
    handled = [item["order_id"] for page in run.history.get("Handle order", []) for item in page]
    assert handled == [o["id"] for o in odoo.records("demo", "sale.order")]  # 3 pages of 2
    assert run.runs["Fetch changes"] == 3 and static["cursor"]
    # each page's orders are handled before its cursor is saved (the act branch sits above)
    saves = [i for i, name in enumerate(run.order) if name == "Save cursor"]
    handled_at = [i for i, name in enumerate(run.order) if name == "Handle order"]
    expected = [min(2 * page, len(handled)) for page in (1, 2, 3)]
    assert [sum(1 for h in handled_at if h < s) for s in saves] == expected
    time.sleep(1.1)  # the second of the first run is over
    requests.post(gateway + "/tools/call", headers={"X-API-Key": key}, timeout=10, json={
        "name": "write", "arguments": {"model": "sale.order", "ids": [2], "values": {"locked": True}}})
    made = requests.post(gateway + "/tools/call", headers={"X-API-Key": key}, timeout=10, json={
        "name": "create", "arguments": {"model": "sale.order", "values": {"partner_id": 2}}}).json()
    time.sleep(1.1)
    later = replay("sale-order-changes", gateway, static, api_key=key, page_size=2, lag_seconds=0)
    handled = [item["order_id"] for page in later.history.get("Handle order", []) for item in page]
    assert sorted(handled) == sorted([2, made["result"]["id"]])
    quiet = replay("sale-order-changes", gateway, static, api_key=key, page_size=2, lag_seconds=0)
    assert "Handle order" not in quiet.runs


def test_n8n_docs_list_every_workflow_and_say_publish() -> None:
    files = sorted(p.name for p in (EXAMPLES / "n8n").glob("*.json"))
    section = (DOCS / "n8n.md").read_text().split("## The example workflows", 1)[1]
    missing = [name for name in files if f"`{name}`" not in section]
    assert not missing, f"docs/n8n.md does not list {missing}"
    count = {5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine"}[len(files)]
    assert f"{count} importable" in section and f"{count} importable" in (ROOT / "README.md").read_text()
    texts = [(DOCS / "n8n.md").read_text(), (DOCS / "automations-feed.md").read_text(),
             *(p.read_text() for p in (EXAMPLES / "n8n").glob("*.json"))]
    assert not [t for t in texts if "active workflows" in t or "active (production)" in t], \
        "n8n 2.x publishes workflows: say Publish"
    assert "**Publish**" in texts[0] and "**Publish**" in texts[1]


def test_docs_say_where_the_invoice_pdf_goes() -> None:
    page = (DOCS / "automations.md").read_text()
    assert "PDF to the customer" not in page
    section = page.split("### n8n: invoice an order, pay it, file the PDF", 1)[1].split("\n## ", 1)[0]
    assert "attach it to the sale order" in section and "Nothing is sent to the customer" in section
