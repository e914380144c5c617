"""The API's own rate limit: at most API_RATE_LIMIT requests (600 per minute unless
configured) across all /api/v1 routes, counted per token for a request with a usable token
and per client address for any other (no token, or one that does not work). The app's
limiter counts (storage RATELIMIT_STORAGE_URI: Redis in production, so every worker counts
together); a request beyond the limit is answered 429 rate_limited with Retry-After."""

from __future__ import annotations

from flask import Flask, current_app

from ..security.throttling import client_address, limit_blueprint
from .auth import presented_token
from .blueprint import blueprint

SCOPE = "api"


def api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def rate_limit_key() -> str:
    """One count per token: two scripts with tokens of their own do not slow each other down,
    even behind one address; requests without a usable token count per address."""
    token = presented_token()
    return f"token:{token.id}" if token is not None else f"address:{client_address()}"


def init_rate_limit(app: Flask) -> None:
    """Call after `init_security` (which gives the app its limiter)."""
    limit_blueprint(app, blueprint, api_rate_limit, rate_limit_key, SCOPE)
