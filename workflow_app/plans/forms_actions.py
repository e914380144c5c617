"""The form behind every action button of a plan or report page (submit, forward, return, …),
and the list of actions a page offers."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from .. import policy
from ..accounts.models import User
from ..engine import TransitionDef, guards
from ..engine.guards import Problem
from ..forms_base import BaseForm
from ..subjects import kind_of

COMMENT_MAX_LENGTH = 5000


class TransitionForm(BaseForm):
    """Which action, on which version of the plan the user saw, with an optional comment.
    Whether the comment is required is the engine's decision, so it is not validated here."""

    trigger = HiddenField(validators=[DataRequired(), Length(max=40)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=COMMENT_MAX_LENGTH)])
    # "1" from the confirmation page: the user has read what a `confirm` action will do.
    confirmed = HiddenField(validators=[Length(max=1)])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "1"


@dataclass
class Action:
    """One action the user may take now, its form, and what blocks it (guard problems)."""

    transition: TransitionDef
    form: TransitionForm
    problems: list[Problem]


def offered_actions(user: User, subject: object, sent: TransitionForm | None) -> list[Action]:
    """The actions `user` may take on `subject` (a case of any kind) now. The form of `sent`
    (a refused submission) keeps its typed comment and errors."""
    offered = policy.actions(user, subject)
    actions: list[Action] = []
    for step in offered:
        kept = sent if sent is not None and sent.trigger.data == step.trigger else None
        # Always the version on screen now: the user sees this page before acting again.
        form = TransitionForm(
            formdata=None,
            trigger=step.trigger,
            version=subject.version,  # type: ignore[attr-defined]
            comment=kept.comment.data if kept else None,
        )
        if kept is not None:
            form.comment.errors = list(kept.comment.errors)
        problems = [problem for name in step.guards for problem in guards.get(name)(subject)]
        problems += kind_of(subject).requirements(subject, step)
        actions.append(Action(transition=step, form=form, problems=problems))
    return actions
