"""Acting officials (Plt/Plh): the delegations page. A user sees the delegations from and to
them, gives a role they hold to someone for a date range, and ends one early; an admin sees
and manages every delegation. Changes go through `delegations` inside `unit_of_work()`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..forms_base import BaseForm
from ..notifications.rendering import role_label
from ..unit_of_work import unit_of_work
from . import delegations as ops
from .models import Delegation, RoleAssignment, User, wita_today
from .views import blueprint

Page = str | tuple[str, int]

ACTIVE, UPCOMING, OVER, ENDED_EARLY = "active", "upcoming", "over", "ended_early"


class DelegationForm(BaseForm):
    assignment = SelectField(_l("Role to hand over"), choices=[], validate_choice=True)
    delegate = StringField(
        _l("Acting official (username)"), validators=[InputRequired(), Length(max=80)]
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Length(max=ops.NOTE_LENGTH)])


class EndForm(BaseForm):
    """The "end now" button: the CSRF token and nothing else."""


@dataclass(frozen=True)
class Row:
    delegation: Delegation
    status: str
    can_end: bool


def status_of(delegation: Delegation, today: date) -> str:
    if delegation.ended_at is not None:
        return ENDED_EARLY
    if delegation.ends_on < today:
        return OVER
    if delegation.starts_on > today:
        return UPCOMING
    return ACTIVE


def assignment_label(assignment: RoleAssignment, with_holder: bool) -> str:
    label = f"{role_label(assignment.role)} — {assignment.region.name}"
    if with_holder:
        holder = assignment.user
        label = f"{holder.full_name} ({holder.username}) — {label}"
    return label


def _rows(delegations: list[Delegation], today: date) -> list[Row]:
    return [
        Row(
            delegation=d,
            status=(status := status_of(d, today)),
            can_end=status in (ACTIVE, UPCOMING) and ops.may_end(current_user, d),
        )
        for d in delegations
    ]


@blueprint.app_template_global("can_use_delegations")
def can_use_delegations(user: User) -> bool:
    """The main menu offers "Acting officials" (Plt/Plh) only to whom it concerns."""
    return bool(user.is_authenticated) and ops.uses_delegations(user)


def _page(form: DelegationForm, *, status: int = 200, error: str | None = None) -> Page:
    today = wita_today()
    everything = list(db.session.scalars(ops.visible_delegations(current_user)).unique())
    admin = ops.is_admin(current_user)
    page = render_template(
        "accounts/delegations.html",
        form=form,
        end_form=EndForm(formdata=None),
        admin=admin,
        everything=_rows(everything, today) if admin else [],
        given=_rows([d for d in everything if d.delegator_id == current_user.id], today),
        received=_rows([d for d in everything if d.delegate_id == current_user.id], today),
        can_delegate=bool(form.assignment.choices),
        max_days=ops.max_days(),
        role_label=role_label,
        today=today,
        error=error,
    )
    return page, status


def _form(*, bound: bool = True) -> tuple[DelegationForm, dict[str, RoleAssignment]]:
    """The new-delegation form, bound to the request unless `bound` is false, with the
    role assignments the user may hand over as its choices."""
    form = DelegationForm() if bound else DelegationForm(formdata=None)
    assignments = {str(a.id): a for a in ops.delegable_assignments(current_user)}
    admin = ops.is_admin(current_user)
    form.assignment.choices = [
        (key, assignment_label(a, with_holder=admin)) for key, a in assignments.items()
    ]
    return form, assignments


def _user_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.strip()))


@blueprint.route("/delegations", methods=["GET", "POST"])
@login_required
def delegations() -> Page | Response:
    form, assignments = _form()
    if request.method == "GET":
        form.starts_on.data = form.starts_on.data or wita_today()
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    assignment = assignments[form.assignment.data]
    try:
        with unit_of_work():
            ops.create_delegation(
                current_user,
                delegator=assignment.user,
                delegate=_user_named(form.delegate.data),
                role=assignment.role,
                region=assignment.region,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                note=form.note.data or "",
            )
    except ops.DelegationRejected as exc:
        for name, messages in exc.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, *messages]
        return _page(form, status=400)
    flash(_("The delegation has been saved."), "success")
    return redirect(url_for("accounts.delegations"), code=303)


@blueprint.post("/delegations/<int:delegation_id>/end")
@login_required
def end_delegation(delegation_id: int) -> Page | Response:
    delegation = ops.load_visible_delegation(current_user, delegation_id)
    if not EndForm().validate():
        form, _assignments = _form(bound=False)
        return _page(form, status=400, error=_("The data sent is not valid."))
    try:
        with unit_of_work():
            ops.end_delegation(current_user, delegation)
    except ops.DelegationRejected:
        form, _assignments = _form(bound=False)
        return _page(form, status=409, error=_("This delegation has already ended."))
    flash(_("The delegation has been ended."), "success")
    return redirect(url_for("accounts.delegations"), code=303)
