"""Service identity, liveness and readiness; never contacts Odoo."""

from __future__ import annotations

from flask import Blueprint, current_app

from app.api.openapi import documented
from app.api.readiness import run_checks
from app.api.responses import HealthSchema, IndexSchema, ReadySchema
from app.base import __version__

bp = Blueprint("health", __name__)


@bp.get("/")
@documented("The service's name and version", ok=IndexSchema)
def index() -> dict:
    return {"name": "Odoo Gateway", "version": __version__, "status": "running",
            "docs": "/docs/", "openapi": "/openapi.json"}


@bp.get("/health")
@documented("Liveness: the process answers (never contacts Odoo)", ok=HealthSchema)
def health() -> dict:
    pool = current_app.extensions["gateway"].pool
    return {"status": "healthy", "version": __version__, "pool": pool.stats()}


@bp.get("/ready")
@documented("Readiness: every named check passes (configuration, revocation store, ...)", ok=ReadySchema,
            errors=(503,), description="503 answers the error shape plus `checks`, each {ok, detail}.")
def ready() -> dict:
    return run_checks()
