"""Service identity and liveness; never contacts Odoo."""

from __future__ import annotations

from flask import Blueprint, current_app

from app import __version__

bp = Blueprint("health", __name__)


@bp.get("/")
def index() -> dict:
    return {"name": "Odoo Gateway", "version": __version__, "status": "running"}


@bp.get("/health")
def health() -> dict:
    pool = current_app.extensions["gateway"].pool
    return {"status": "healthy", "version": __version__, "pool": pool.stats()}
