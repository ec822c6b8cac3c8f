"""A full flow under a real gunicorn: no secret in its output (stdout and stderr) or answers."""

from __future__ import annotations

import logging

import pytest
import requests
from cryptography.fernet import Fernet

from app.base import logs
from app.base.config import Settings
from tests.conftest import SECRET
from tests.test_gunicorn import start_gunicorn, stop_gunicorn, wait_healthy

TOKEN = "minting-token-0123456789abcdef"


@pytest.mark.slow
def test_no_secret_in_gunicorn_output_or_answers(odoo, tmp_path) -> None:
    old = Fernet.generate_key().decode()
    process, base = start_gunicorn({
        "ENCRYPTION_KEYS": f"{SECRET.decode()},{old}", "GENERATE_TOKEN": TOKEN, "LOG_LEVEL": "DEBUG",
        "REVOCATION_DB": str(tmp_path / "revoked.sqlite3"), "RATE_LIMIT": "2/minute",
    })
    answers: list[str] = []
    login = {"url": odoo.url, "database": "demo", "username": "admin", "password": "admin"}
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def post(path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        response = requests.post(base + path, timeout=10, **kwargs)
        answers.append(response.text + str(dict(response.headers)))
        return response

    try:
        wait_healthy(process, base)
        minted = post("/auth/generate", json=login, headers=auth)
        key = minted.json()["api_key"]
        answers[-1] = answers[-1].replace(key, "")  # the one answer that must carry the key
        call = {"name": "search_read", "arguments": {"model": "res.partner", "limit": 2}}
        assert post("/tools/call", json=call, headers={"X-API-Key": key}).status_code == 200
        post("/auth/generate", json=login, headers={"Authorization": "Bearer " + TOKEN[::-1]})
        post("/auth/generate", json={**login, "password": "wrong-password-123"}, headers=auth)
        post("/auth/generate", json={**login, "url": "http://admin:url-password-456@odoo.test"},
             headers=auth)
        post("/tools/call", json=call, headers={"X-API-Key": key[:-4]})
        for _ in range(5):  # into the rate limit (counted per worker with memory storage)
            post("/tools/call", json=call, headers={"X-API-Key": key})
        assert post("/auth/revoke", json={"api_key": key}).status_code == 200
        assert post("/tools/call", json=call, headers={"X-API-Key": key}).json()["status"] == "key_revoked"
        output = stop_gunicorn(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # One JSON line per request under gunicorn (LOG_FORMAT defaults to json there).
    assert '"path": "/tools/call", "status": 429' in output and "Worker exiting" in output
    everything = output + "\n".join(answers)
    for secret in (SECRET.decode(), old, TOKEN, key, key[:-4], "wrong-password-123", "url-password-456"):
        assert secret not in everything


def test_redaction_masks_the_minting_token_and_the_redis_password() -> None:
    settings = Settings(encryption_keys=(SECRET,), generate_token=TOKEN,
                        redis_url="redis://:short@redis:6379/0").checked()
    logger = logs.configure("INFO", settings.secrets())
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("token=%s redis=%s", TOKEN, settings.redis_url)
    finally:
        logger.removeHandler(handler)
    assert TOKEN not in lines[0] and ":short@" not in lines[0] and "[REDACTED]" in lines[0]
