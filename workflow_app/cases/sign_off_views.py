"""A participant's answer to a parallel sign-off, from the case page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import policy
from ..engine import OutOfScope, TransitionRefused
from ..engine.sign_off import AGREE, OBJECT
from ..forms_base import BaseForm
from ..plans.case_views import Refusal, Reply, actor
from ..signoffs import service as sign_offs
from ..templating import state_label
from ..unit_of_work import unit_of_work
from .views import _case_page, _kind, blueprint


class SignOffForm(BaseForm):
    answer = RadioField(
        _l("Your opinion"),
        choices=[(AGREE, _l("Agree")), (OBJECT, _l("Object (with notes)"))],
        validators=[DataRequired()],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=sign_offs.COMMENT_LIMIT)])


@blueprint.post("/cases/<kind>/<int:case_id>/sign-off")
@login_required
def sign_off(kind: str, case_id: int) -> Reply:
    _kind(kind)
    user = actor()
    case = policy.find_visible(user, kind, case_id)
    form = SignOffForm()
    if not form.validate():
        return _case_page(case, 400, Refusal(400, _("Choose “Agree” or “Object”.")), None, form)
    try:
        with unit_of_work():
            done = sign_offs.answer(user, case, form.answer.data, form.comment.data)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        case = policy.find_visible(user, kind, case_id)
        return _case_page(case, exc.status, Refusal(exc.status, exc.message), None, form)
    if done.fired:
        flash(
            _(
                "Your opinion is recorded; with it the case is now “%(state)s”.",
                state=state_label(case),
            ),
            "success",
        )
    else:
        flash(_("Your opinion is recorded."), "success")
    return redirect(url_for("cases.detail", kind=kind, case_id=case_id, _anchor="sign-off"), 303)
