"""Putting a kept submission (keep.py) back into its form.

When the user it belongs to, in the browser that holds its key, opens the page the form was
on (GET, the view checking access as always), the first form on it that the values fit is
filled with them instead of the stored data, and a message says so. Nothing is submitted:
the user checks the form and saves it again, with a fresh CSRF token. A kept submission
comes back once; afterwards it is deleted.
"""

from __future__ import annotations

import logging

from flask import Flask, flash, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import BooleanField, Field, Form

from ..extensions import db
from ..models_base import utcnow
from .keep import SESSION_REFS, session_refs
from .models import FORM_EXPIRED, PendingForm

# A hidden field that tells apart several forms of one page (which action, which item) must
# hold the same value as the kept one; the version the user saw is kept as it was, so a save
# after someone else's change is refused as stale instead of overwriting it.
MAY_DIFFER = frozenset({"version"})

_CANDIDATES = "_pending_form_candidates"
_TAKEN = "_pending_form_taken"

log = logging.getLogger(__name__)


def _this_page() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _candidates() -> list[PendingForm]:
    """This browser's kept submissions for this user and page, newest first (once a request)."""
    if _CANDIDATES not in g:
        setattr(
            g,
            _CANDIDATES,
            db.session.scalars(
                select(PendingForm)
                .where(
                    PendingForm.id.in_(session_refs()),
                    PendingForm.user_id == current_user.id,
                    PendingForm.path == _this_page(),
                    PendingForm.expires_at > utcnow(),
                )
                .order_by(PendingForm.created_at.desc())
            ).all(),
        )
    return getattr(g, _CANDIDATES)


def _owns(field: Field, key: str) -> bool:
    return key == field.name or key.startswith(f"{field.name}-")


def _hidden(field: Field) -> bool:
    return getattr(field.widget, "input_type", None) == "hidden"


def _owned(form: Form, data: MultiDict) -> list[Field]:
    """The fields of `form` (not its CSRF token) that `data` holds values for."""
    csrf_name = getattr(form.meta, "csrf_field_name", "csrf_token")
    return [
        field
        for field in form
        if field.name != csrf_name and any(_owns(field, key) for key in data)
    ]


def fits(form: Form, data: MultiDict) -> bool:
    """True when `data` is a submission of this form: it holds something typed into one of
    its visible fields, and the hidden values that identify it are the same."""
    owned = _owned(form, data)
    if all(_hidden(field) for field in owned):
        return False
    return all(
        str(field._value() or "") == data.get(field.name, "")
        for field in owned
        if _hidden(field) and field.short_name not in MAY_DIFFER
    )


def _refill(form: Form, data: MultiDict) -> None:
    """Each field `data` holds takes its kept value; a checkbox it lacks was unticked; the
    other fields keep what the view gave them."""
    formdata = form.meta.wrap_formdata(form, data)
    owned = _owned(form, data)
    for field in form:
        if field in owned or (isinstance(field, BooleanField) and field.name not in data):
            field.process(formdata, field.object_data)


def restore_into(form: Form) -> bool:
    """Fill `form`, built for display on a GET, with this user's kept submission for it, if
    any. At most one form of a page takes it; taking it flashes what happened and spends it."""
    if not has_request_context() or request.method != "GET" or g.get(_TAKEN) is not None:
        return False
    if not session_refs() or not current_user.is_authenticated:
        return False
    for kept in _candidates():
        data = MultiDict([(str(name), str(value)) for name, value in kept.fields])
        if not fits(form, data):
            continue
        _refill(form, data)
        setattr(g, _TAKEN, kept.id)
        session[SESSION_REFS] = [ref for ref in session_refs() if ref != kept.id]
        if kept.reason == FORM_EXPIRED:
            flash(_("What you typed is back: check it and save again."), "warning")
        else:
            flash(
                _("Your session had ended; what you typed is back: check it and save again."),
                "warning",
            )
        log.info("form restored: user=%s path=%s", kept.user_id, kept.path)
        return True
    return False


def _delete_taken(response: Response) -> Response:
    """Once the page is drawn, the restored submission is deleted, in a transaction of its
    own: a GET's session holds nothing to commit."""
    taken = g.get(_TAKEN)
    if taken is not None:
        try:
            with db.engine.begin() as connection:
                connection.execute(delete(PendingForm).where(PendingForm.id == taken))
        except Exception:  # it expires anyway; the page the user waits for matters more
            log.exception("could not delete a restored form")
    return response


def init_restore(app: Flask) -> None:
    app.after_request(_delete_taken)
