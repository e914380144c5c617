"""How long a login lasts: an idle timeout (no request for SESSION_IDLE_MINUTES) and an
absolute one (SESSION_ABSOLUTE_HOURS after login), checked before every request (0 turns
either off). The times live in the signed session cookie; ending every session of a user at
once is the account's session epoch (User.end_all_sessions), and `end_sessions_and_tokens`
is what every "end this user's sessions" does: it ends their API tokens too. A form sent
after the session ended keeps what was typed (session_end.py)."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.wrappers import Response

from ..api.models import ApiToken
from ..pending_forms.keep import mark_session_ended
from ..pending_forms.models import SESSION_ENDED
from . import tokens
from .login import parse_session_id
from .models import User
from .session_end import init_session_end, keep, to_login

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# Refresh the last-seen time at most this often (or a quarter of the idle timeout, if that is
# shorter), so not every response rewrites the cookie.
SEEN_RESOLUTION_SECONDS = 60
# The page's question "how long is left?" (session_views.py) is not activity.
NOT_ACTIVITY = frozenset({"accounts.session_status"})

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


def idle_seconds() -> int:
    """The idle timeout in seconds (0: none). Minutes may be a fraction (tests)."""
    return round(float(current_app.config["SESSION_IDLE_MINUTES"]) * 60)


def absolute_seconds() -> int:
    return round(float(current_app.config["SESSION_ABSOLUTE_HOURS"]) * 3600)


def seconds_left(now: int) -> tuple[int | None, int | None]:
    """Seconds until the idle and the absolute timeout end this session (None: no such
    timeout). A session signed before these clocks existed starts them now."""
    login_at = int(session.setdefault(LOGIN_AT, now))
    seen_at = int(session.setdefault(SEEN_AT, now))
    idle, absolute = idle_seconds(), absolute_seconds()
    return (
        seen_at + idle - now if idle else None,
        login_at + absolute - now if absolute else None,
    )


def _expired(now: int) -> bool:
    return any(left is not None and left < 0 for left in seconds_left(now))


def mark_seen(now: int) -> None:
    session[SEEN_AT] = now


def check_session_age() -> Response | None:
    if "_user_id" not in session or (request.endpoint or "").endswith("static"):
        return None
    now = int(time.time())
    if _expired(now):
        user_id = session.get("_user_id")
        log.info("session expired: user=%s ip=%s", user_id, request.remote_addr)
        logout_user()
        session.clear()
        parsed = parse_session_id(user_id) if isinstance(user_id, str) else None
        mark_session_ended(parsed[0] if parsed else None)
        if request.endpoint in NOT_ACTIVITY:
            return None  # it answers "ended" itself
        if request.method == "GET":
            flash(_("Your session has ended. Please log in again."), "info")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        # What the form carried is kept for its user, and comes back after the login.
        return to_login(keep(parsed[0], SESSION_ENDED) if parsed else None)
    resolution = min(SEEN_RESOLUTION_SECONDS, idle_seconds() // 4 or SEEN_RESOLUTION_SECONDS)
    if request.endpoint not in NOT_ACTIVITY and now - int(session[SEEN_AT]) >= resolution:
        mark_seen(now)
    return None


def init_session_timeouts(app: Flask) -> None:
    app.before_request(check_session_age)
    init_session_end(app)
