"""The HTTP side of security: client addresses behind proxies, rate limits, the minting token.

- ``TRUSTED_PROXIES`` hops of ``X-Forwarded-For`` are believed (werkzeug's ProxyFix); without it
  the client address is the peer's, whatever the headers say.
- Flask-Limiter counts requests in a SQLite file shared by the host's workers (``RATE_LIMIT_DB``,
  default a fresh temp file made by the master before it forks), or in Redis when ``REDIS_URL``
  is set:
  ``GENERATE_RATE_LIMIT`` per client address on ``/auth/generate`` and ``/auth/revoke``, and
  ``RATE_LIMIT`` per key id on ``/tools/call`` (checked right after the key opens), and
  ``OAUTH_RATE_LIMIT`` per client address on refused OAuth sign-ins (a sign-in that succeeds is not
  counted: people behind one proxy share an address), ``OAUTH_REGISTER_RATE_LIMIT`` per client
  address on OAuth registration (a hosted assistant registers every person's connection from its
  own servers).
- ``GENERATE_TOKEN``, when set, must come as ``Authorization: Bearer TOKEN`` to mint a key or to
  revoke one by id; it is compared in constant time.
"""

from __future__ import annotations

import atexit
import contextlib
import hmac
import math
import os
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from app.base.config import Settings
from app.base.errors import AuthFailed, RateLimited
from app.stores import ratelimit

# Views limited per client address, by endpoint name.
_PER_ADDRESS = ("auth.generate", "auth.revoke")


@dataclass(frozen=True)
class Guard:
    """What the views need: the limiter, the per-key limits and the minting token."""

    limiter: Limiter
    per_key: tuple[RateLimitItem, ...]
    token: str | None


def init_app(app: Flask, settings: Settings) -> None:
    """Install the proxy fix, the rate limiter and the 429 renderer; call after the blueprints."""
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        # Scheme and host too: the OAuth metadata's URLs are built from them without PUBLIC_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=_storage_uri(settings),
        strategy="fixed-window", key_prefix="odoo_gateway", headers_enabled=False,
    )
    # The limiter checks every request in a before_request hook, although only the views wrapped
    # below have limits and their wrappers check by themselves: drop the hook (~0.1 ms a request).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    if "oauth.sign_in" not in app.view_functions:  # its deduct_when limit is counted after-request
        _drop_limiter_hooks(app, limiter)
    for endpoint in _PER_ADDRESS:
        # Limits are per app (each app has its own limiter), so the views are wrapped here.
        app.view_functions[endpoint] = limiter.limit(
            settings.generate_rate_limit, error_message=_ADDRESS_MESSAGE,
        )(app.view_functions[endpoint])
    if "oauth.sign_in" in app.view_functions:  # only when OAUTH_ENABLED
        app.view_functions["oauth.register"] = limiter.limit(
            settings.oauth_register_rate_limit, error_message=_REGISTER_MESSAGE,
        )(app.view_functions["oauth.register"])
        # Counted after the answer: only a refusal (no redirect with a code) uses up the limit.
        app.view_functions["oauth.sign_in"] = limiter.limit(
            settings.oauth_rate_limit, error_message=_SIGN_IN_MESSAGE,
            deduct_when=lambda response: response.status_code != 302,
        )(app.view_functions["oauth.sign_in"])
    app.extensions["security"] = Guard(limiter, tuple(parse_many(settings.rate_limit)),
                                       settings.generate_token)
    app.register_error_handler(RateLimitExceeded, _render_limit_exceeded)


def _drop_limiter_hooks(app: Flask, limiter: Limiter) -> None:
    """Drop the limiter's after-request and teardown hooks too: with its headers off and no
    ``deduct_when`` limit, the first only looks up the request's limiter context and the second
    resets that context, which dies with the request anyway (~20 µs a request)."""
    hooks = app.after_request_funcs[None]
    hooks[:] = [hook for hook in hooks
                if getattr(hook, "func", None) is not Limiter._Limiter__inject_headers]  # type: ignore[attr-defined]
    app.teardown_request_funcs[None] = [
        hook for hook in app.teardown_request_funcs[None]
        if getattr(hook, "__self__", None) is not limiter]


def _storage_uri(settings: Settings) -> str:
    """Redis when set (shared by hosts), else a SQLite file shared by this host's workers."""
    if settings.redis_url:
        return settings.redis_url
    path = settings.rate_limit_db
    if path is None:
        path = ratelimit.new_counter_file()
        owner = os.getpid()  # the preloaded master: forked workers must not remove it
        atexit.register(lambda: os.getpid() == owner and _remove(path))
    return f"{ratelimit.SCHEME}://{path}"


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.remove(path + suffix)


def limit_key(key_id: str, cost: int = 1) -> None:
    """Count ``cost`` calls for ``key_id``; RateLimited when the key is over RATE_LIMIT."""
    guard: Guard = current_app.extensions["security"]
    strategy = guard.limiter.limiter
    for item in guard.per_key:
        if not strategy.hit(item, "key", key_id, cost=cost):
            reset = strategy.get_window_stats(item, "key", key_id).reset_time
            raise RateLimited(
                f"This API key made more than {item.amount} requests per {_window(item)} "
                "(RATE_LIMIT): retry after the Retry-After delay.",
                retry_after=math.ceil(reset - time.time()),
            )


def require_minting_token(needed_without_token: bool = False) -> None:
    """AuthFailed unless the request carries GENERATE_TOKEN (when one is configured)."""
    token = current_app.extensions["security"].token
    if token is None:
        if needed_without_token:
            raise AuthFailed(
                "Revoking by key_id needs the minting token, and this gateway has none "
                "(GENERATE_TOKEN): send the key itself as api_key instead."
            )
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise AuthFailed(
            "This gateway needs its minting token for this: send Authorization: Bearer <token> "
            "(the operator's GENERATE_TOKEN)."
        )


def _render_limit_exceeded(error: RateLimitExceeded):  # type: ignore[no-untyped-def]
    limit = current_app.extensions["security"].limiter.current_limit
    retry_after = math.ceil(limit.reset_at - time.time()) if limit else 1
    # Rendered by the one GatewayError handler, so the body has the contract's shape.
    return current_app.handle_user_exception(RateLimited(error.description, retry_after=retry_after))


def _window(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


_ADDRESS_MESSAGE = (
    "Too many requests from this address (GENERATE_RATE_LIMIT): retry after the Retry-After delay."
)
_SIGN_IN_MESSAGE = (
    "Too many refused sign-ins from this address (OAUTH_RATE_LIMIT): retry after the Retry-After delay."
)
_REGISTER_MESSAGE = (
    "Too many client registrations from this address (OAUTH_REGISTER_RATE_LIMIT): retry after the "
    "Retry-After delay."
)
