"""Odoo Gateway: Odoo's external API over plain HTTP+JSON, with scoped, encrypted API keys."""

from __future__ import annotations

from flask import Flask

from app.base import __version__
from app.base.config import Settings

__all__ = ["__version__", "create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI application; settings default to the environment's, checked."""
    from app import cli
    from app.api import metrics, openapi, readiness, security, web, webhooks
    from app.api.blueprints import auth, files, health, mcp, tools
    from app.base import logs
    from app.core.gateway import Gateway

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json = web.JsonProvider(app)  # keeps Odoo's key order; its encoder built once
    app.extensions["gateway"] = Gateway(settings)
    logs.configure(settings.log_level, settings.secrets(), settings.log_format)
    web.init_app(app)
    for blueprint in (health.bp, auth.bp, tools.bp, files.bp, mcp.bp):
        app.register_blueprint(blueprint)
    if settings.oauth_enabled:
        _add_oauth(app, settings)
    security.init_app(app, settings)
    app.cli.add_command(cli.keys)
    if settings.metrics_enabled:
        metrics.init_app(app, settings.metrics_dir)
    webhooks.init_app(app, settings)  # after metrics: its counters join the same registry
    openapi.init_app(app)
    readiness.add_check(app, "config", readiness.config_check(app))
    readiness.add_check(app, "revocation_store", readiness.revocation_check(app))
    if settings.oauth_enabled:
        readiness.add_check(app, "oauth_store", readiness.oauth_store_check(app))
    return app


def _add_oauth(app: Flask, settings: Settings) -> None:
    """The OAuth sign-in for MCP clients (OAUTH_ENABLED): its store, its flows and its routes."""
    from app.api.blueprints import oauth
    from app.core.oauth.flows import OAuthService
    from app.stores.oauth import build_oauth_store

    store = build_oauth_store(settings.redis_url, settings.oauth_db)
    app.extensions["oauth"] = OAuthService(settings, app.extensions["gateway"], store)
    app.register_blueprint(oauth.bp)
