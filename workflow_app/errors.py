"""Error pages: every refusal is a page that says what happened, never a bare 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .engine import TransitionRefused
from .extensions import db
from .refusals import refusal_details, refusal_message

TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}
MESSAGES = {
    429: _l("Too many attempts in a short time. Wait a few minutes, then try again."),
    500: _l("The request could not be completed and nothing was changed. Try again later."),
}
# When even the error page cannot be drawn (the database is down, say): a page of its own
# that needs nothing, and says nothing about the cause.
BARE_500 = (
    '<!doctype html><html><head><meta charset="utf-8"><title>500</title></head>'
    "<body><h1>500</h1><p>Internal server error.</p></body></html>"
)
log = logging.getLogger(__name__)
CSRF_RESCUERS = "csrf_rescuers"


def on_csrf_refusal(app: Flask, rescue: Callable[[], Response | None]) -> None:
    """Let a feature answer a refused CSRF token better than the error page (accounts: a form
    sent after the session ended is kept and comes back after logging in); `rescue` returns
    None to leave the refusal to the page."""
    app.extensions.setdefault(CSRF_RESCUERS, []).append(rescue)


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        for rescue in current_app.extensions.get(CSRF_RESCUERS, []):
            response = rescue()
            if response is not None:
                return response
        message = _l(
            "The form has expired or was not sent from this site. Reload the page and try again."
        )
        return render_template("error.html", status=400, title=TITLES[400], message=message), 400

    @app.errorhandler(TransitionRefused)
    def refused(error: TransitionRefused):
        # Views that can show the refusal in context catch it themselves; this is the fallback.
        status = error.status
        page = render_template(
            "error.html",
            status=status,
            title=TITLES.get(status, TITLES[400]),
            message=refusal_message(error),
            details=refusal_details(error),
        )
        return page, status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        title = TITLES.get(status, error.name)
        message = MESSAGES.get(status)
        if status >= 500:
            return _server_error(status, title, message)
        return render_template("error.html", status=status, title=title, message=message), status


def _server_error(status: int, title: object, message: object):
    """A generic page: no trace, no exception text (the log has them). The failed
    transaction is rolled back first, so drawing the page does not trip over it."""
    try:
        db.session.rollback()
        page = render_template("error.html", status=status, title=title, message=message)
    except Exception:
        log.exception("the error page itself failed")
        return BARE_500, status, {"Content-Type": "text/html; charset=utf-8"}
    return page, status
