"""/notifications: the user's notifications, newest first, unread ones marked; opening one is
a POST (it marks it read, then goes to the case), and so is "mark all as read". A GET never
changes anything, so reading the list leaves the count as it is until the user acts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..accounts.views import is_local_path
from ..engine import OutOfScope
from ..forms_base import BaseForm
from ..notifications import inbox
from ..notifications.rendering import case_path
from ..unit_of_work import unit_of_work

blueprint = Blueprint("inbox", __name__)


class ButtonForm(BaseForm):
    """A POST button: the CSRF token and nothing else."""


@blueprint.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The bell's number for the signed-in user: one indexed COUNT, once per request, read
    with the user themself (accounts/login.py) unless the user came from the session."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        # Rarely: a user already in the session (a login in this request, a test's context).
        g.unread_notifications = inbox.unread_count(current_user.id)
    return int(g.unread_notifications)


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "id"


@blueprint.get("/notifications")
@login_required
def index() -> str:
    items = inbox.inbox(current_user.id, _language())
    return render_template(
        "inbox/index.html",
        items=items,
        unread=sum(1 for item in items if item.unread),
        limit=inbox.LIST_LIMIT,
        form=ButtonForm(formdata=None),
    )


def _checked() -> None:
    # CSRFProtect has checked the token before the view runs; the form has nothing else.
    if not ButtonForm().validate():
        abort(400)


@blueprint.post("/notifications/<int:notification_id>/open")
@login_required
def open_item(notification_id: int) -> Response:
    """Mark one notification read and go to the page of its case."""
    _checked()
    try:
        with unit_of_work():
            row = inbox.mark_read(current_user.id, notification_id)
    except OutOfScope:
        abort(404)
    path = case_path(dict(row.payload or {}))
    return redirect(path if is_local_path(path) else url_for("inbox.index"), code=303)


@blueprint.post("/notifications/read")
@login_required
def read_all() -> Response:
    _checked()
    with unit_of_work():
        marked = inbox.mark_all_read(current_user.id)
    if marked:
        flash(
            ngettext(
                "%(num)d notification marked as read.",
                "%(num)d notifications marked as read.",
                marked,
            ),
            "success",
        )
    return redirect(url_for("inbox.index"), code=303)
