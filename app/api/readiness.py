"""Readiness: named checks that must all pass before the service takes traffic (``GET /ready``).

Other parts add theirs with ``add_check(app, name, check)``: a check returns a short detail
(``"ok"`` or a description) when it passes and raises when it does not. Liveness (``/health``)
stays separate: a not-ready instance is taken out of the load balancer, not restarted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask, current_app

from app.base.errors import GatewayError

Check = Callable[[], str]
log = logging.getLogger("odoo_gateway")


class NotReady(GatewayError):
    """A readiness check failed; the body says which."""

    http_status, code = 503, "not_ready"
    message = "The gateway is not ready to serve requests."

    def __init__(self, message: str, checks: dict[str, Any]) -> None:
        super().__init__(message)
        self.checks = checks

    def payload(self, request_id: str | None = None) -> dict[str, Any]:
        return {**super().payload(request_id), "checks": self.checks}


def add_check(app: Flask, name: str, check: Check) -> None:
    """Make ``check`` part of ``/ready`` under ``name``."""
    app.extensions.setdefault("ready_checks", {})[name] = check


def run_checks() -> dict[str, Any]:
    """The answer of ``/ready``, or NotReady naming the failed checks."""
    results: dict[str, Any] = {}
    failed = []
    for name, check in current_app.extensions.get("ready_checks", {}).items():
        try:
            results[name] = {"ok": True, "detail": check() or "ok"}
        except Exception as error:  # noqa: BLE001 - any failure of a check means not ready
            # The class name and message only: a check must not put secrets in its errors.
            log.warning("readiness check %s failed: %s", name, type(error).__name__)
            results[name] = {"ok": False, "detail": str(error) or type(error).__name__}
            failed.append(name)
    if failed:
        raise NotReady(f"Not ready: {', '.join(failed)} failed; see checks.", results)
    return {"status": "ready", "checks": results}


def config_check(app: Flask) -> Check:
    """The settings still hold and every encryption key can seal and open a token."""
    settings = app.extensions["gateway"].settings

    def check() -> str:
        settings.checked()
        for secret in settings.encryption_keys:
            fernet = Fernet(secret)
            if fernet.decrypt(fernet.encrypt(b"ready")) != b"ready":
                raise ValueError("an encryption key does not round-trip")
        return f"{len(settings.encryption_keys)} encryption key(s) usable"

    return check


def oauth_store_check(app: Flask) -> Check:
    """The OAuth store can be read: sign-ins and refreshes fail while it cannot."""
    oauth = app.extensions["oauth"]

    def check() -> str:
        oauth.store.get("client", "ready-probe")
        return type(oauth.store).__name__

    return check


def revocation_check(app: Flask) -> Check:
    """The revocation list can be read (keys are refused while it cannot) and written."""
    store = app.extensions["gateway"].revocations

    def check() -> str:
        store.is_revoked("ready-probe")
        store.check_writable()  # else /auth/revoke would fail and a leaked key stay valid
        return f"{type(store).__name__} (readable and writable)"

    return check
