"""Key tools for operators, as Flask CLI commands: ``flask --app wsgi keys COMMAND``.

The same group runs without building the web app as ``python -m app.cli COMMAND``: that is how
``new-secret`` works before any ``ENCRYPTION_KEY`` exists. Commands that need the secrets read
the same checked Settings as the service (the app's under ``flask``, the environment's otherwise).
Keys are read from standard input when the argument is omitted or ``-``, so they stay out of the
shell history and the process list.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from cryptography.fernet import Fernet
from flask import current_app, has_app_context
from flask.cli import ScriptInfo

from app.base.config import ConfigError, Settings
from app.base.errors import GatewayError
from app.core.gateway import Gateway, describe, iso
from app.core.schemas import GenerateSchema, load


@click.group("keys")
def keys() -> None:
    """Make secrets; issue, inspect, revoke and rotate API keys."""


@keys.command("new-secret")
def new_secret() -> None:
    """Print a new Fernet secret for ENCRYPTION_KEY(S)."""
    click.echo(Fernet.generate_key().decode())


@keys.command("issue")
@click.option("--url", envvar="ODOO_URL", required=True, help="Odoo URL [env ODOO_URL]")
@click.option("--database", envvar="ODOO_DB", required=True, help="database [env ODOO_DB]")
@click.option("--username", envvar="ODOO_USERNAME", required=True, help="login [env ODOO_USERNAME]")
@click.option("--password", envvar="ODOO_PASSWORD", prompt=True, hide_input=True,
              help="password or Odoo API key [env ODOO_PASSWORD; prompted when missing]")
@click.option("--scope", default="*:R", show_default=True)
@click.option("--expires-in", type=int, default=None, help="seconds until the key expires")
@click.option("--context", "context_json", default=None, help="default Odoo context, as JSON")
def issue(url: str, database: str, username: str, password: str, scope: str,
          expires_in: int | None, context_json: str | None) -> None:
    """Mint a key offline (Odoo is not asked), for scripts; prints JSON with api_key."""
    body = {"url": url, "database": database, "username": username, "password": password,
            "scope": scope, "expires_in": expires_in}
    if context_json:
        try:
            body["context"] = json.loads(context_json)
        except ValueError:
            raise click.BadParameter("not valid JSON", param_hint="--context") from None
    with _gateway() as gateway:
        data = load(GenerateSchema(), {k: v for k, v in body.items() if v is not None}, "keys issue")
        click.echo(json.dumps(gateway.issue_offline(data), indent=2))


@keys.command("inspect")
@click.argument("key", default="-")
def inspect(key: str) -> None:
    """Show a key's id, user, URL, database, scope and expiry (never its password)."""
    with _gateway() as gateway:
        claims = gateway.keyring.open_unchecked(_read_key(key))
        shown = {**describe(claims), "issued": iso(claims.issued_at), "expired": claims.expired(),
                 "revoked": gateway.revocations.is_revoked(claims.key_id), "context": claims.context}
        click.echo(json.dumps(shown, indent=2))


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key by its id (or give the key itself); every worker refuses it from now on."""
    with _gateway() as gateway:
        if key_id.startswith("gAAAAA"):
            result = gateway.revoke(api_key=key_id)
        else:
            result = gateway.revoke(key_id=key_id)
        click.echo(json.dumps(result))


@keys.command("rotate")
@click.argument("key", default="-")
def rotate(key: str) -> None:
    """Re-seal a key under the newest secret, keeping its id, claims and expiry; prints it."""
    with _gateway() as gateway:
        click.echo(gateway.keyring.rotate(_read_key(key)))


def _read_key(key: str) -> str:
    return sys.stdin.readline().strip() if key == "-" else key.strip()


@contextmanager
def _gateway() -> Iterator[Gateway]:
    """The app's gateway under ``flask``; otherwise one built from the environment."""
    try:
        if has_app_context() and "gateway" in current_app.extensions:
            yield current_app.extensions["gateway"]
            return
        script = click.get_current_context().find_object(ScriptInfo)
        if script is not None:  # under ``flask``, without an app context pushed yet
            yield script.load_app().extensions["gateway"]
            return
        gateway = Gateway(Settings.from_env())
        try:
            yield gateway
        finally:
            gateway.close()
    except (ConfigError, GatewayError) as error:
        raise click.ClickException(str(error)) from None


if __name__ == "__main__":
    keys(prog_name="python -m app.cli")
