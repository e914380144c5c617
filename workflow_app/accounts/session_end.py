"""A form sent after its session ended is not lost.

The login ended (idle or absolute timeout, a logout in another tab, every session of the user
ended elsewhere) or only the form's CSRF token no longer matches (logged out and in again in
another tab): the submission is refused as before and nothing is saved, but what it carried is
kept for the user whose session it was (pending_forms). Logged out, they are sent to log in and
then back to the form; still logged in, straight back to the form; either way the form shows
what they typed, to check and save again.
"""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_url
from werkzeug.wrappers import Response

from ..errors import on_csrf_refusal
from ..extensions import login_manager
from ..pending_forms.keep import ended_user_id, keep_submission
from ..pending_forms.models import FORM_EXPIRED, SESSION_ENDED
from ..pending_forms.restore import init_restore
from ..unit_of_work import unit_of_work
from .login import parse_session_id

log = logging.getLogger("workflow_app.security")


def keep(user_id: int, reason: str) -> str | None:
    """Keep this POST for `user_id`; the form's page, or None (nothing worth keeping, not
    provably from this site, or the store failed: then the refusal stays as it was)."""
    try:
        with unit_of_work():
            return keep_submission(user_id, reason)
    except Exception:
        log.exception("could not keep a refused form")
        return None


def to_login(page: str | None) -> Response:
    """The login page, and after it the form's page when something was kept."""
    flash(_("Your session has ended. Please log in again."), "info")
    if page is None:
        return redirect(url_for("accounts.login"), code=303)
    flash(_("What you typed was not saved, but it is not lost: log in to get it back."), "info")
    return redirect(url_for("accounts.login", next=page), code=303)


def _user_of_ended_session() -> int | None:
    """Whose session this was, when it has ended: the session still names a user whose
    sessions were all ended (logout elsewhere, new password), or a logout here said so."""
    value = session.get("_user_id")
    parsed = parse_session_id(value) if isinstance(value, str) else None
    return parsed[0] if parsed is not None else ended_user_id()


def rescue_refused_csrf() -> Response | None:
    if request.method != "POST":
        return None
    if current_user.is_authenticated:
        page = keep(current_user.id, FORM_EXPIRED)
        if page is None:
            return None
        flash(_("This form had expired, so nothing was saved."), "warning")
        return redirect(page, code=303)
    user_id = _user_of_ended_session()
    page = keep(user_id, SESSION_ENDED) if user_id is not None else None
    return to_login(page) if page is not None else None


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """A page that needs a login. A POST from a session that has ended keeps its form."""
    if request.method == "POST":
        user_id = _user_of_ended_session()
        page = keep(user_id, SESSION_ENDED) if user_id is not None else None
        if page is not None:
            return to_login(page)
    # Flask-Login's own answer.
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def init_session_end(app: Flask) -> None:
    on_csrf_refusal(app, rescue_refused_csrf)
    init_restore(app)
