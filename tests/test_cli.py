"""The operators' key tools: ``flask --app wsgi keys ...`` and ``python -m app.cli ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import SECRET
from tests.test_errors_e2e import assert_error

ROOT = Path(__file__).resolve().parent.parent
ISSUE = ["keys", "issue", "--url", "http://odoo.test", "--database", "demo", "--username", "bot",
         "--scope", "res.partner:RW", "--expires-in", "600", "--context", '{"lang": "fr_FR"}']


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(args=list(args), **kw)


def test_new_secret_prints_a_fernet_key(cli) -> None:
    result = cli("keys", "new-secret")
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())


def test_issue_mints_offline_and_inspect_shows_it_without_the_password(cli, odoo) -> None:
    issued = cli(*ISSUE, env={"ODOO_PASSWORD": "bot-password-123"})
    assert issued.exit_code == 0, issued.output
    body = json.loads(issued.output)
    assert body["credentials"] == {"url": "http://odoo.test", "database": "demo", "username": "bot",
                                   "scope": "res.partner:RW"}
    assert body["expires"] and odoo.calls == []  # offline: Odoo was not asked
    shown = cli("keys", "inspect", input=body["api_key"] + "\n")  # read from stdin
    assert shown.exit_code == 0, shown.output
    details = json.loads(shown.output)
    assert details["key_id"] == body["key_id"] and details["expires"] == body["expires"]
    assert (details["revoked"], details["expired"], details["context"]) == (False, False, {"lang": "fr_FR"})
    assert "bot-password-123" not in shown.output + issued.output


def test_issue_applies_the_gateway_rules(make_app) -> None:
    runner = make_app(key_max_ttl_seconds=60, allowed_odoo_urls=("https://*.odoo.com",)).test_cli_runner()
    too_long = runner.invoke(args=ISSUE, env={"ODOO_PASSWORD": "x"})
    assert too_long.exit_code != 0 and "at most 60" in too_long.output
    args = [a if a != "http://odoo.test" else "http://evil.test" for a in ISSUE if a not in ("600",)]
    args[args.index("--expires-in") + 1:args.index("--expires-in") + 1] = ["30"]
    refused = runner.invoke(args=args, env={"ODOO_PASSWORD": "x"})
    assert refused.exit_code != 0 and "ALLOWED_ODOO_URLS" in refused.output
    bad_scope = runner.invoke(args=[*ISSUE[:-4], "--scope", "nope"], env={"ODOO_PASSWORD": "x"})
    assert bad_scope.exit_code != 0 and "scope" in bad_scope.output.lower()


def test_revoke_by_id_from_the_cli_is_seen_over_http(cli, api) -> None:
    key = api.key()
    key_id = json.loads(cli("keys", "inspect", key).output)["key_id"]
    result = cli("keys", "revoke", key_id)
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "revoked"
    assert_error(api.call(key, "search", model="res.partner"), 401, "key_revoked")
    assert json.loads(cli("keys", "inspect", key).output)["revoked"] is True


def test_inspect_refuses_foreign_keys(cli) -> None:
    foreign = Fernet(Fernet.generate_key()).encrypt(b"{}").decode()
    result = cli("keys", "inspect", foreign)
    assert result.exit_code != 0 and "malformed" in result.output


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ENCRYPTION_KEY", "FLASK_"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **env}, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.slow
def test_real_processes(tmp_path) -> None:
    # No ENCRYPTION_KEY at all: the module entry still makes a secret.
    made = run(["-m", "app.cli", "new-secret"], {})
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    Fernet(secret.encode())
    env = {"ENCRYPTION_KEY": secret, "REVOCATION_DB": str(tmp_path / "r.sqlite3"),
           "ODOO_PASSWORD": "pw-123456"}
    issued = run(["-m", "app.cli", *ISSUE[1:]], env)
    assert issued.returncode == 0, issued.stderr
    key = json.loads(issued.stdout)["api_key"]
    # The same tools under flask, with the app built from the environment by wsgi.py.
    revoked = run(["-m", "flask", "--app", "wsgi", "keys", "revoke", key], env)
    assert revoked.returncode == 0, revoked.stderr
    shown = run(["-m", "flask", "--app", "wsgi", "keys", "inspect"], env, stdin=key + "\n")
    assert shown.returncode == 0 and json.loads(shown.stdout)["revoked"] is True
    assert "pw-123456" not in shown.stdout + shown.stderr
    missing = run(["-m", "flask", "--app", "wsgi", "keys", "new-secret"], {})
    assert missing.returncode != 0 and "ENCRYPTION_KEY" in missing.stderr
    assert SECRET.decode() not in missing.stderr
