"""Web pieces for every kind of case (plans, progress reports, kinds declared as data): the
refusal shown at the top of a case page, the actions the page offers, the labels of its
history, the confirmation page of an action declared `confirm`, and the POST of an action
button, which fires through the one door (firing.fire) and turns a refusal into the case page
again with the right status code. The kinds' views call these with their case, their loader
and their page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..engine import CommentRequired, OutOfScope, TransitionRefused
from ..firing import check, fire
from ..refusals import refusal_details, refusal_message
from ..templating import page_language, state_label
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from .confirmation import confirmation_page, requested_back
from .forms_actions import Action, TransitionForm, offered_actions

Page = str | tuple[str, int]  # a page, with its status code
Reply = Page | Response  # a page, or the redirect after a change


def language() -> str:
    return page_language()


def actor() -> User:
    # The real object, not the proxy: operations store it on rows (created_by, history).
    return current_user._get_current_object()  # type: ignore[attr-defined]


@dataclass
class Refusal:
    """Why the last action was refused, shown at the top of the case page."""

    status: int
    message: str
    details: list[str] = field(default_factory=list)
    # The typed comment, when the refused action is no longer offered on the page.
    unsent_comment: str | None = None


def refusal_of(exc: TransitionRefused) -> Refusal:
    """The refusal in the shared words (refusals.py)."""
    return Refusal(exc.status, refusal_message(exc), refusal_details(exc))


def trigger_labels(case: Any, first_trigger: str, first_label: str) -> dict[str, str]:
    """The label of every trigger in the case's history, the one that began it included."""
    labels = {first_trigger: first_label}
    for step in definition_of(case).transitions:
        labels.setdefault(step.trigger, step.label.get(language()))
    return labels


def page_actions(case: Any, refusal: Refusal | None, sent: TransitionForm | None) -> list[Action]:
    """The actions the case page offers the user now. After a refused action (`sent`) whose
    form the page no longer shows (not offered now, or confirmed on a page of its own), its
    typed comment is kept on the refusal."""
    actions = offered_actions(current_user, case, sent)
    with_form = {a.transition.trigger for a in actions if not a.transition.confirm}
    if refusal is not None and sent is not None and sent.trigger.data not in with_form:
        refusal.unsent_comment = sent.comment.data or None
    return actions


def confirm_get(
    case_id: int,
    trigger: str,
    load: Callable[[User, int], Any],
    page: Callable[..., Page],
    *,
    refusal: Callable[[TransitionRefused], Refusal] = refusal_of,
) -> Page:
    """The confirmation page of `trigger` on the case `load(user, case_id)`, for the version
    the user saw (`?version=`, else the current one). Refused exactly as the action's POST
    would be (firing.check): the case page with the reason and the same status."""
    user = actor()
    case = load(user, case_id)
    version = request.args.get("version", type=int)
    try:
        transition = check(user, case, trigger, expected_version=version)
    except OutOfScope:
        raise
    except TransitionRefused as exc:
        return page(case, status=exc.status, refusal=refusal(exc))
    form = TransitionForm(
        formdata=None,
        trigger=trigger,
        version=case.version if version is None else version,
        confirmed="1",
    )
    return confirmation_page(case, transition, form, back=requested_back())


def transition_post(
    case_id: int,
    load: Callable[[User, int], Any],
    page: Callable[..., Page],
    *,
    done: Callable[[str], str],
    back: str,
    refusal: Callable[[TransitionRefused], Refusal] = refusal_of,
) -> Reply:
    """An action button's POST on the case `load(user, case_id)` (which is "not found" for a
    case the user may not see). Refused: `page(case, status=, refusal=, sent=)`, the case as
    stored and the form as sent; done: flash `done(new state's label)` and go to a same-site
    `next`, else `back`.

    An action declared `confirm` fires only when sent from its confirmation page
    (`confirmed`); sent from anywhere else (a page open since before, another client's form),
    it gets that page, refused as the action would be, and nothing changes."""
    user = actor()
    case = load(user, case_id)
    form = TransitionForm()
    next_page = requested_back()
    transition = definition_of(case).transition_for(str(form.trigger.data or ""), case.state)
    if not form.validate():
        invalid = Refusal(400, _("The data sent is not valid."))
        if transition is not None and form.is_confirmed and set(form.errors) == {"comment"}:
            return confirmation_page(case, transition, form, status=400, back=next_page)
        return page(case, status=400, refusal=invalid, sent=form)
    try:
        if transition is not None and transition.confirm and not form.is_confirmed:
            check(user, case, form.trigger.data, expected_version=form.version.data)
            form.confirmed.data = "1"
            return confirmation_page(case, transition, form, back=next_page)
        with unit_of_work():
            record = fire(
                user,
                case,
                form.trigger.data,
                comment=form.comment.data,
                expected_version=form.version.data,
            )
    except OutOfScope:
        raise  # the app's error page: "not found", never a hint that the case exists
    except TransitionRefused as exc:
        # unit_of_work rolled back, which expired every loaded object: reading the case
        # again shows its current state, not what the refused attempt did to it.
        case = load(user, case_id)
        if isinstance(exc, CommentRequired) and transition is not None and form.is_confirmed:
            # The comment is written on the confirmation page: ask there again.
            form.comment.errors = [refusal(exc).message]
            return confirmation_page(
                case, transition, form, status=exc.status, refusal=refusal(exc), back=next_page
            )
        return page(case, status=exc.status, refusal=refusal(exc), sent=form)
    flash(done(state_label(case, record.to_state)), "success")
    return redirect(next_page or back, code=303)
