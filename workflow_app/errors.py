"""Error pages: every refusal is a page that says what happened, never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .engine import TransitionRefused
from .refusals import refusal_details, refusal_message

TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    500: _l("Something went wrong"),
}


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
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
        return render_template("error.html", status=status, title=title, message=None), status
