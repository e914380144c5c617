"""A review comment's thread on the plan page: answering it, marking it resolved or open.

Routes of the `plans` blueprint (imported by views.py). Access is checked before the form,
so whoever may not act learns nothing from a form's errors; a refusal shows the plan page
with what was typed kept.
"""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from ..engine import OutOfScope, TransitionRefused
from ..plans import operations as plan_ops
from ..plans.blueprint import blueprint
from ..plans.case_views import Page, Refusal, actor
from ..plans.detail_page import plan_page
from ..refusals import refusal_message
from ..unit_of_work import unit_of_work
from . import threads
from .forms import ReplyForm, ResolutionForm
from .models import ReviewComment


def _back(plan_id: int, comment_id: int) -> Response:
    anchor = f"review-comment-{comment_id}"
    return redirect(url_for("plans.detail", plan_id=plan_id, _anchor=anchor), code=303)


def _refused(plan_id: int, exc: TransitionRefused, typed: str | None = None) -> Page:
    # A refused change was rolled back: read the plan again to show it as stored.
    plan = plan_ops.load_visible_plan(actor(), plan_id)
    refusal = Refusal(exc.status, refusal_message(exc), unsent_comment=typed or None)
    return plan_page(plan, status=exc.status, refusal=refusal)


@blueprint.post("/plans/<int:plan_id>/comments/<int:comment_id>/replies")
@login_required
def reply(plan_id: int, comment_id: int) -> Page | Response:
    user = actor()
    plan = plan_ops.load_visible_plan(user, plan_id)
    comment = threads.load_comment(plan, comment_id)
    form = ReplyForm()
    try:
        threads.check_can_reply(user, plan)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        return _refused(plan_id, exc, form.body.data)
    if not form.validate():
        g.review_sent_reply = (comment.id, form)
        return plan_page(plan, status=400)
    try:
        with unit_of_work():
            threads.add_reply(user, plan, comment, form.body.data or "")
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        return _refused(plan_id, exc, form.body.data)
    flash(_("Your reply was saved."), "success")
    return _back(plan_id, comment_id)


@blueprint.post("/plans/<int:plan_id>/comments/<int:comment_id>/resolution")
@login_required
def resolution(plan_id: int, comment_id: int) -> Page | Response:
    user = actor()
    plan = plan_ops.load_visible_plan(user, plan_id)
    comment: ReviewComment = threads.load_comment(plan, comment_id)
    form = ResolutionForm()
    try:
        threads.check_can_resolve(user, plan, comment)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        return _refused(plan_id, exc)
    if not form.validate():
        # A hidden field: only a tampered or outdated page gets here.
        message = _("The page was out of date. Reload it and try again.")
        return plan_page(plan, status=400, refusal=Refusal(400, message))
    resolved = form.resolved.data == "1"
    try:
        with unit_of_work():
            threads.set_resolved(user, plan, comment, resolved)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        return _refused(plan_id, exc)
    flash(
        _("The comment is marked resolved.") if resolved else _("The comment is open again."),
        "success",
    )
    return _back(plan_id, comment_id)
