"""OAuth 2.1 for MCP clients (registered only with OAUTH_ENABLED): discovery, registration, the
sign-in page, tokens and revocation. The flows live in ``app.core.oauth.flows``; this is the HTTP face.

The sign-in page is server-rendered with no external assets and no script; it is never framed
(CSP ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``), carries a CSRF token (a cookie and a
form field that must match, bound into the sealed request), and redirects only to a redirect URI
the client registered.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request

from app.api.web import note, parse_json, public_url
from app.base.errors import GatewayError
from app.core.access.scope_bounds import restricted
from app.core.oauth.clients import OAuthError, resource_metadata, server_metadata
from app.core.oauth.flows import OAuthService, PageError, Pending, RedirectError

bp = Blueprint("oauth", __name__, template_folder="../templates")
CSRF_COOKIE = "oauth_csrf"
_CORS_PATHS = ("/.well-known/", "/oauth/register", "/oauth/token", "/oauth/revoke")


def service() -> OAuthService:
    return current_app.extensions["oauth"]


@bp.get("/.well-known/oauth-protected-resource")
@bp.get("/.well-known/oauth-protected-resource/<path:suffix>")
def protected_resource(suffix: str = "") -> Response:
    """RFC 9728's metadata of /mcp: at the root, and with the resource's path inserted.

    Behind a path prefix the proxy strips, clients ask ``/.well-known/oauth-protected-resource/
    PREFIX/mcp`` at the host's root (routed here unchanged) or ``PREFIX/.well-known/...`` (stripped).
    """
    issuer = public_url()
    prefix = urlsplit(issuer).path.strip("/")
    if suffix.strip("/") not in {"", "mcp", prefix, f"{prefix}/mcp".lstrip("/")}:
        raise OAuthError("not_found", f"This gateway's resource metadata is at {issuer}"
                         "/.well-known/oauth-protected-resource/mcp.", 404)
    return jsonify(resource_metadata(issuer))


@bp.get("/.well-known/oauth-authorization-server")
@bp.get("/.well-known/oauth-authorization-server/<path:suffix>")
@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/openid-configuration/<path:suffix>")
def authorization_server(suffix: str = "") -> Response:
    """RFC 8414's metadata, at each address clients derive from an issuer with a path.

    ``/.well-known/oauth-authorization-server/PREFIX`` and ``/.well-known/openid-configuration/
    PREFIX`` (RFC 8414 sections 3 and 5) come from the host's root unchanged; ``PREFIX/.well-known/
    openid-configuration`` (OpenID Connect Discovery's form) arrives with the prefix stripped. The
    OpenID addresses answer the same OAuth document: this gateway issues no ID tokens.
    """
    issuer = public_url()
    if suffix.strip("/") not in {"", urlsplit(issuer).path.strip("/")}:
        raise OAuthError("not_found", f"The authorization server's metadata is at {issuer}.", 404)
    return jsonify(server_metadata(issuer))


@bp.post("/oauth/register")
def register() -> tuple[Response, int]:
    try:
        metadata = parse_json(request.get_data(cache=True))  # bounded depth, like every body
    except (ValueError, UnicodeDecodeError):
        metadata = None
    answer = service().clients.register(metadata)
    note(client_id=answer["client_id"])
    return jsonify(answer), 201


@bp.get("/oauth/authorize")
def authorize() -> Response:
    try:
        pending = service().check_request(request.args, public_url())
    except RedirectError as error:
        return redirect(error.location(), 302)
    csrf = secrets.token_urlsafe(32)
    response = _page(pending, csrf, {}, None, 200)
    # No Path: the browser scopes the cookie to this page's folder, behind a path prefix too.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=900, path=None, httponly=True, samesite="Strict",
                        secure=request.is_secure)
    return response


@bp.post("/oauth/authorize")
def sign_in() -> Response:
    form = request.form
    csrf = form.get("csrf", "")
    if not csrf or not secrets.compare_digest(csrf, request.cookies.get(CSRF_COOKIE, "")):
        raise PageError("The sign-in form's security token does not match (CSRF): reload the page "
                        "from your assistant and sign in again.")
    oauth = service()
    pending = oauth.open_pending(form.get("request", ""), csrf)
    # A pinned Odoo or database is used whatever the form says (the page does not show those fields).
    values = {**{name: form.get(name, "").strip() for name in ("url", "database", "username")}, **oauth.fixed}
    scope = form.get("scope_custom", "") if form.get("scope") == "custom" else form.get("scope", "")
    login = {**values, "password": form.get("password", "")}
    try:
        _check_filled(login)
        location = oauth.approve(pending, login, scope)
    except GatewayError as error:
        note(refused=error.code)
        return _page(pending, csrf, {**values, "scope": scope}, error.message, error.http_status)
    note(client_id=pending.client_id)
    return _secured(redirect(location, 302), pending)


@bp.post("/oauth/token")
def token() -> Response:
    answer = service().token(request.form, public_url())
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth/revoke")
def revoke() -> Response:
    service().revoke(request.form)
    return Response(status=200)


@bp.errorhandler(OAuthError)
def oauth_error(error: OAuthError) -> Response:
    response = jsonify({"error": error.code, "error_description": error.message, "status": error.code,
                        "request_id": g.get("request_id")})
    response.status_code = error.http_status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(PageError)
def page_error(error: PageError) -> Response:
    nonce = secrets.token_urlsafe(16)
    response = Response(render_template("oauth/error.html", message=error.message, nonce=nonce),
                        status=error.http_status, content_type="text/html; charset=utf-8")
    return _secured(response, None, nonce)


@bp.after_app_request
def cross_origin(response: Response) -> Response:
    """Browser-based MCP clients read the metadata and call the token endpoints from their origin."""
    if request.path.startswith(_CORS_PATHS):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, MCP-Protocol-Version"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    return response


def _check_filled(login: dict) -> None:
    missing = [label for name, label in (("url", "the Odoo URL"), ("database", "the database"),
               ("username", "the login"), ("password", "the password or API key")) if not login[name]]
    if missing:
        raise PageError(f"Fill in {', '.join(missing)}.")


def presets() -> list[tuple[str, str]]:
    """The scope choices offered on the page: OAUTH_MAX_SCOPE cut to read, read-write, and whole."""
    most = service().max_scope
    choices: list[tuple[str, str]] = []
    for label, letters in (("Read only", "R"), ("Read and write", "RW"), ("Everything allowed", "RWDX")):
        scope = restricted(most, letters)
        if scope.letters_anywhere() and str(scope) not in [value for _, value in choices]:
            choices.append((label, str(scope)))
    return choices


def _page(pending: Pending, csrf: str, values: dict, message: str | None, status: int) -> Response:
    nonce = secrets.token_urlsafe(16)
    choices = presets()
    chosen = values.get("scope") or pending.requested_scope or choices[0][1]
    html = render_template(
        "oauth/signin.html", pending=pending, csrf=csrf, sealed=service().seal_pending(pending, csrf),
        values=values, message=message, choices=choices, chosen=chosen, nonce=nonce, fixed=service().fixed,
        custom=chosen not in [value for _, value in choices], max_scope=str(service().max_scope),
        redirect_host=urlsplit(pending.redirect_uri).netloc,
    )
    return _secured(Response(html, status=status, content_type="text/html; charset=utf-8"), pending, nonce)


def _secured(response: Response, pending: Pending | None, nonce: str = "") -> Response:
    """Headers of every page and redirect: never framed, never cached, no referrer, no script."""
    parts = urlsplit(pending.redirect_uri) if pending else None
    # Chromium applies form-action to the redirect that answers the form: allow the client's origin.
    target = f" {parts.scheme}://{parts.netloc}" if parts else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        f"form-action 'self'{target}; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
