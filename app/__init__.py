"""Odoo Gateway: Odoo's external API over plain HTTP+JSON, with scoped, encrypted API keys."""

from __future__ import annotations

from flask import Flask

from app.config import Settings

__version__ = "1.0.0"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI application; settings default to the environment's, checked."""
    from app import cli, logs, metrics, openapi, readiness, security, web
    from app.blueprints import auth, health, mcp, tools
    from app.gateway import Gateway

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # keep Odoo's order and spare sorting large answers
    app.extensions["gateway"] = Gateway(settings)
    logs.configure(settings.log_level, settings.secrets(), settings.log_format)
    web.init_app(app)
    for blueprint in (health.bp, auth.bp, tools.bp, mcp.bp):
        app.register_blueprint(blueprint)
    security.init_app(app, settings)
    app.cli.add_command(cli.keys)
    if settings.metrics_enabled:
        metrics.init_app(app, settings.metrics_dir)
    openapi.init_app(app)
    readiness.add_check(app, "config", readiness.config_check(app))
    readiness.add_check(app, "revocation_store", readiness.revocation_check(app))
    return app
