"""Who is calling: the user of the personal token in `Authorization: Bearer <token>`.

Only that header counts. The browser's session cookie is never read here, so a page on another
site cannot make a logged-in browser call the API, and the API needs no CSRF token."""

from __future__ import annotations

from flask import current_app, g, request

from ..accounts import tokens
from ..accounts.models import User
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from .errors import unauthorized
from .models import ApiToken

BEARER_HINT = "send a personal API token as 'Authorization: Bearer <token>'"


def _secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def presented_token() -> ApiToken | None:
    """The usable token the request presents, or None (none sent, or unknown, revoked,
    expired, or its account disabled). Looked up once per request: the rate limit, which
    counts per token, asks before the view authenticates."""
    if "api_token" not in g:
        secret = _secret()
        g.api_token = tokens.usable_token(secret, utcnow()) if secret else None
    return g.api_token


def authenticate() -> User:
    """Set and return the caller; raise a 401 ApiError for a missing, unknown, revoked or
    expired token or a disabled account (one answer for all: nothing to probe)."""
    if _secret() is None:
        raise unauthorized(BEARER_HINT)
    token = presented_token()
    if token is None:
        raise unauthorized("the API token is unknown, revoked or expired")
    now = utcnow()
    if tokens.needs_touch(token, now):
        with unit_of_work():
            tokens.touch(token, now)
    g.api_user = token.user
    # The token's user is this request's user everywhere, as Flask-Login's login_user sets
    # it (without touching the session): code shared with the web that reads current_user,
    # such as the admin log's actor, must never see a session cookie sent along.
    current_app.login_manager._update_request_context_with_user(token.user)  # type: ignore[attr-defined]
    return token.user


def api_user() -> User:
    return g.api_user
