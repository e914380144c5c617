"""Web pieces for every kind of case (plans, progress reports): the refusal shown at the top
of a case page, the actions the page offers, the labels of its history, and the POST of an
action button, which fires through the one door (firing.fire) and turns a refusal into the
case page again with the right status code. plans/views.py and monitoring/views.py call these
with their case, their loader and their page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..engine import OutOfScope, TransitionRefused
from ..firing import fire
from ..refusals import refusal_details, refusal_message
from ..templating import state_label
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from .forms_actions import Action, TransitionForm, offered_actions

Page = str | tuple[str, int]  # a page, with its status code
Reply = Page | Response  # a page, or the redirect after a change


def language() -> str:
    return str(get_locale() or "id")


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
    """The actions the case page offers the user now. After a refused action (`sent`) that is
    no longer offered, its typed comment is kept on the refusal."""
    actions = offered_actions(current_user, case, sent)
    offered = {a.transition.trigger for a in actions}
    if refusal is not None and sent is not None and sent.trigger.data not in offered:
        refusal.unsent_comment = sent.comment.data or None
    return actions


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
    stored and the form as sent; done: flash `done(new state's label)` and go to `back`."""
    user = actor()
    case = load(user, case_id)
    form = TransitionForm()
    if not form.validate():
        invalid = Refusal(400, _("The data sent is not valid."))
        return page(case, status=400, refusal=invalid, sent=form)
    try:
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
        return page(case, status=exc.status, refusal=refusal(exc), sent=form)
    flash(done(state_label(case, record.to_state)), "success")
    return redirect(back, code=303)
