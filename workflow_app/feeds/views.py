"""The calendar feed: GET /calendar/<secret>.ics (no session: the secret is the key), and on
the account page the POSTs that make its address (shown once) and revoke it.

A hostile reader gets nothing from guessing: a secret is 256 random bits, looked up by its
SHA-256; anything that does not open an active user's live feed (malformed, unknown, replaced,
revoked, a disabled account) answers the same 404. The feed lists only its owner's deadlines,
read as of now with the owner's current roles and scope, like their "My tasks".
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms_base import BaseForm
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from . import operations
from .deadlines import open_deadlines

blueprint = Blueprint("feeds", __name__)


class ButtonForm(BaseForm):
    """A POST button: the CSRF token and nothing else."""


def feed_url(secret: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + f"/calendar/{secret}.ics"


@blueprint.get("/calendar/<secret>.ics")
def calendar(secret: str) -> Response:
    owner = operations.feed_owner(secret)
    if owner is None:
        abort(404)
    language = owner.language or "id"
    with force_locale(language):
        deadlines = open_deadlines(owner, language)
        # icalendar (about 3 MiB) is imported by the first feed served, not at start-up.
        from .ical import calendar_document

        document = calendar_document(
            deadlines,
            name=_("Deadlines: %(name)s", name=str(owner)),
            base_url=current_app.config["BASE_URL"].rstrip("/"),
            now=utcnow(),
        )
    response = Response(document, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _checked() -> None:
    if not ButtonForm().validate():
        abort(400)


@blueprint.post("/account/calendar")
@login_required
def create() -> Response:
    """Make the feed's address (replacing the one before): shown on this page only, once."""
    _checked()
    with unit_of_work():
        issued = operations.issue_feed(current_user._get_current_object())
    url = feed_url(issued.secret)
    page = render_template(
        "accounts/calendar_created.html",
        url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
    )
    response = Response(page, status=201, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/account/calendar/revoke")
@login_required
def revoke() -> Response:
    _checked()
    with unit_of_work():
        revoked = operations.revoke_feed(current_user._get_current_object())
    if revoked:
        flash(_("Your calendar feed is stopped: its address no longer works."), "success")
    return redirect(url_for("accounts.account") + "#calendar-feed", code=303)
