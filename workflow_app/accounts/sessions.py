"""How long a login lasts: an idle timeout (no request for SESSION_IDLE_MINUTES) and an
absolute one (SESSION_ABSOLUTE_HOURS after login), checked before every request (0 turns
either off). The times live in the signed session cookie; ending every session of a user at
once is the account's session epoch (User.end_all_sessions), and `end_sessions_and_tokens`
is what every "end this user's sessions" does: it ends their API tokens too."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.wrappers import Response

from ..api.models import ApiToken
from . import tokens
from .models import User

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# Refresh the last-seen time at most this often, so not every response rewrites the cookie.
SEEN_RESOLUTION_SECONDS = 60

log = logging.getLogger("workflow_app.security")


def end_sessions_and_tokens(user: User) -> list[ApiToken]:
    """End every session of `user`, in any browser, and revoke every API token of theirs that
    still works: logging out everywhere, a new password however set, and disabling the
    account all end what the user (or whoever took their credentials) was signed in with.
    Returns the tokens revoked. Flushes; the caller commits (unit_of_work)."""
    user.end_all_sessions()
    return tokens.revoke_usable_tokens(user)


def start_session_clock() -> None:
    """At login: both clocks start now."""
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def _expired(now: int) -> bool:
    # A session signed before these clocks existed starts them at its first request.
    login_at = int(session.setdefault(LOGIN_AT, now))
    seen_at = int(session.setdefault(SEEN_AT, now))
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    absolute = int(current_app.config["SESSION_ABSOLUTE_HOURS"]) * 3600
    # 0 turns a timeout off.
    return bool(idle and now - seen_at > idle) or bool(absolute and now - login_at > absolute)


def check_session_age() -> Response | None:
    if "_user_id" not in session or (request.endpoint or "").endswith("static"):
        return None
    now = int(time.time())
    if _expired(now):
        log.info("session expired: user=%s ip=%s", session.get("_user_id"), request.remote_addr)
        logout_user()
        session.clear()
        flash(_("Your session has ended. Please log in again."), "info")
        if request.method == "GET":
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("accounts.login"), code=303)
    if now - int(session[SEEN_AT]) >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


def init_session_timeouts(app: Flask) -> None:
    app.before_request(check_session_age)
