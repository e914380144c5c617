"""A reviewer's comment on a declared case, from the case page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from .. import policy
from ..engine import OutOfScope, TransitionRefused
from ..forms_base import BaseForm
from ..plans.case_views import Refusal, Reply, actor
from ..refusals import refusal_message
from ..unit_of_work import unit_of_work
from . import comments
from .views import _case_page, _kind, blueprint


class CaseCommentForm(BaseForm):
    field = HiddenField(validators=[Optional(), Length(max=40)])
    row = HiddenField(validators=[Optional(), Regexp(r"^\d{1,4}$")])
    body = TextAreaField(_l("Comment"), validators=[Length(max=comments.BODY_MAX_LENGTH)])


@blueprint.post("/cases/<kind>/<int:case_id>/comments")
@login_required
def add_comment(kind: str, case_id: int) -> Reply:
    _kind(kind)
    user = actor()
    case = policy.find_visible(user, kind, case_id)
    form = CaseCommentForm()
    if not form.validate():
        return _case_page(case, 400, Refusal(400, _("The data sent is not valid.")))
    row = int(form.row.data) if form.row.data else None
    try:
        with unit_of_work():
            comment = comments.add_comment(user, case, form.field.data or None, row, form.body.data)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        case = policy.find_visible(user, kind, case_id)
        message = exc.message if exc.code == "invalid" else refusal_message(exc, plan=False)
        return _case_page(case, exc.status, Refusal(exc.status, message))
    flash(_("Comment saved."), "success")
    anchor = f"field-{comment.field}" if comment.field else "comments"
    return redirect(url_for("cases.detail", kind=kind, case_id=case_id, _anchor=anchor), 303)
