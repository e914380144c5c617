"""Writing a plan: create it, then edit its header, challenges, indicators and activities.

Each view loads the plan the user may see, checks that this user may edit it now, validates
the form and calls one operation inside `unit_of_work()`. Refusals become pages with the
right status: 403 (role), 404 (not visible), 409 (not editable, or changed meanwhile: the
form comes back with what was typed) and 400 (invalid input: the form with its errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..engine import InvalidInput, NotAllowedFromState, StaleObject
from ..errors import TITLES
from ..extensions import db
from ..forms_base import add_row
from ..refusals import refusal_message
from ..regions.models import Agency
from ..templating import state_label
from ..unit_of_work import unit_of_work
from ..workflows import definition_of
from . import access, operations
from .blueprint import blueprint
from .case_views import Reply
from .case_views import actor as _actor
from .forms import (
    ActivityFormBase,
    ChallengesForm,
    DeleteActivityForm,
    EditHeaderForm,
    IndicatorRowBase,
    NewPlanForm,
    activity_form_class,
    indicators_form_class,
)
from .live_period import PeriodTaken
from .models import ActionPlan, Activity
from .vocabulary import COMMON_INDICATORS

__all__ = ["blueprint"]


def _plan_page(plan_id: int) -> Response:
    return redirect(url_for("plans.detail", plan_id=plan_id), code=303)


def _not_editable(plan: ActionPlan) -> Response:
    """409: say which statuses allow editing and which one the plan is in."""
    definition = definition_of(plan)
    editable = [state_label(plan, name) for name, s in definition.states.items() if s.editable]
    message = _(
        "Only a plan in status %(states)s can be edited. This plan is in status %(state)s.",
        states=" / ".join(editable),
        state=state_label(plan),
    )
    page = render_template("error.html", status=409, title=TITLES[409], message=message)
    return Response(page, status=409)


def _editable_plan(plan_id: int) -> ActionPlan:
    """The plan, if visible (else 404) and editable by this user now (else 403 or 409)."""
    plan = operations.load_visible_plan(_actor(), plan_id)
    try:
        operations.check_editable(_actor(), plan)
    except NotAllowedFromState:
        abort(_not_editable(plan))
    return plan


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _save(
    change: Callable[[], object],
    plan: ActionPlan,
    success: str,
    again: Callable[[int, str | None], Reply],
) -> Reply:
    """Run `change` in one unit of work; on success flash and go to the plan page.

    `again(status, message)` re-renders the form with what was typed when the change is
    refused because the plan moved on (409) or the operation rejected the data (400).
    """
    try:
        with unit_of_work():
            change()
    except StaleObject as exc:
        return again(409, refusal_message(exc))
    except InvalidInput as exc:
        return again(400, refusal_message(exc))
    except NotAllowedFromState:
        return _not_editable(plan)
    flash(success, "success")
    return _plan_page(plan.id)


# --- a new plan ---------------------------------------------------------------------------


# Who creates plans, and where, is one rule in access.py (the owner of the initial state, where
# a grant of that role reaches; `operations.create_plan` refuses by the same rule): the list
# page offers "New plan" by the rule this page opens by.
blueprint.add_app_template_global(access.can_create_plan, "can_create_plan")
blueprint.add_app_template_global(access.regions_without_a_plan, "regions_without_a_plan")


@blueprint.route("/plans/new", methods=["GET", "POST"])
@login_required
def new() -> Reply:
    actor = _actor()
    regions = access.creation_regions(actor)
    if not regions:
        abort(403)
    form = NewPlanForm()
    if len(regions) > 1:
        form.region.choices = [(r.code, r.name) for r in regions]
    else:
        del form.region

    def again(
        status: int, message: str | None = None, taken: ActionPlan | None = None
    ) -> tuple[str, int]:
        return _render(
            "plans/form_header.html",
            status,
            form=form,
            plan=None,
            regions=regions,
            refusal=message,
            taken=taken,
        )

    if request.method != "POST":
        return again(200)
    if not form.validate():
        return again(400)
    region = (
        next((r for r in regions if r.code == form.region.data), None)
        if len(regions) > 1
        else regions[0]
    )
    try:
        with unit_of_work():
            plan = operations.create_plan(
                actor,
                region,
                title=form.title.data,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
            )
    except PeriodTaken as exc:  # the district's live plan for those years: link to it
        return again(400, refusal_message(exc), exc.holder)
    except InvalidInput as exc:
        return again(400, refusal_message(exc))
    flash(_("The plan was created. Now add its challenges, indicators and activities."), "success")
    return _plan_page(plan.id)


# --- the header -----------------------------------------------------------------------------


@blueprint.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    # Only a first display is filled from the plan: a POST must bring its own version.
    form = EditHeaderForm(obj=plan if request.method != "POST" else None)

    def again(status: int, message: str | None = None) -> tuple[str, int]:
        return _render("plans/form_header.html", status, form=form, plan=plan, refusal=message)

    if request.method != "POST":
        return again(200)
    if not form.validate():
        return again(400)
    return _save(
        lambda: operations.update_header(
            _actor(),
            plan,
            expected_version=form.expected_version(),
            title=form.title.data,
            period_start=form.period_start.data,
            period_end=form.period_end.data,
        ),
        plan,
        _("The title and period were saved."),
        again,
    )


# --- challenges -----------------------------------------------------------------------------


@blueprint.route("/plans/<int:plan_id>/challenges", methods=["GET", "POST"])
@login_required
def edit_challenges(plan_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    if request.method == "POST":
        form = ChallengesForm()
    else:
        rows = [{"description": c.description} for c in plan.challenges]
        form = ChallengesForm(data={"version": plan.version, "rows": rows})

    def again(status: int, message: str | None = None) -> tuple[str, int]:
        return _render("plans/form_challenges.html", status, form=form, plan=plan, refusal=message)

    if request.method != "POST":
        return again(200)
    if form.add_row.data:
        add_row(form.rows)
        return again(200)
    if not form.validate():
        return again(400)
    return _save(
        lambda: operations.replace_challenges(
            _actor(),
            plan,
            expected_version=form.expected_version(),
            descriptions=form.descriptions(),
        ),
        plan,
        _("The challenges were saved."),
        again,
    )


# --- indicators -----------------------------------------------------------------------------


def _indicator_units() -> list[str]:
    units = [unit for _name, unit in COMMON_INDICATORS] + ["SR", "unit"]
    return list(dict.fromkeys(units))


@blueprint.route("/plans/<int:plan_id>/indicators", methods=["GET", "POST"])
@login_required
def edit_indicators(plan_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    form_class = indicators_form_class(plan.period_start, plan.period_end)
    if request.method == "POST":
        form = form_class()
    else:
        rows = [IndicatorRowBase.data_of(indicator) for indicator in plan.indicators]
        form = form_class(data={"version": plan.version, "rows": rows})

    def again(status: int, message: str | None = None) -> tuple[str, int]:
        return _render(
            "plans/form_indicators.html",
            status,
            form=form,
            plan=plan,
            refusal=message,
            suggested_names=[name for name, _unit in COMMON_INDICATORS],
            suggested_units=_indicator_units(),
        )

    if request.method != "POST":
        return again(200)
    if form.add_row.data:
        add_row(form.rows)  # type: ignore[attr-defined]
        return again(200)
    if not form.validate():
        return again(400)
    return _save(
        lambda: operations.replace_indicators(
            _actor(),
            plan,
            expected_version=form.expected_version(),
            indicators=form.indicators(),
        ),
        plan,
        _("The indicators and targets were saved."),
        again,
    )


# --- activities -----------------------------------------------------------------------------


def _agencies(plan: ActionPlan) -> list[Agency]:
    """The agencies that may be responsible: the plan region's first, then the province's."""
    region_ids = [plan.region_id, plan.region.parent_id]
    agencies = db.session.scalars(select(Agency).where(Agency.region_id.in_(region_ids))).all()
    return sorted(agencies, key=lambda a: (a.region_id != plan.region_id, a.short_name))


def _activity_of(plan: ActionPlan, activity_id: int) -> Activity:
    activity = next((a for a in plan.activities if a.id == activity_id), None)
    if activity is None:
        abort(404)
    return activity


def _activity_form(plan: ActionPlan, activity: Activity | None) -> ActivityFormBase:
    form_class = activity_form_class(plan.period_start, plan.period_end)
    if request.method == "POST":
        form = form_class()
    elif activity is None:
        form = form_class(
            data={
                "version": plan.version,
                "start_year": plan.period_start,
                "end_year": plan.period_end,
            }
        )
    else:
        form = form_class(data={**ActivityFormBase.data_of(activity), "version": plan.version})
    form.set_agencies(_agencies(plan))
    return form


def _activity_view(plan: ActionPlan, activity: Activity | None) -> Reply:
    actor = _actor()
    form = _activity_form(plan, activity)

    def again(status: int, message: str | None = None) -> tuple[str, int]:
        return _render(
            "plans/form_activity.html",
            status,
            form=form,
            plan=plan,
            activity=activity,
            refusal=message,
        )

    if request.method != "POST":
        return again(200)
    if form.add_row.data:
        add_row(form.funding)  # type: ignore[attr-defined]
        return again(200)
    if not form.validate():
        return again(400)
    if activity is None:

        def change() -> object:
            return operations.add_activity(
                actor, plan, expected_version=form.expected_version(), data=form.to_data()
            )

        done = _("The activity was added.")
    else:
        activity_id = activity.id

        def change() -> object:
            return operations.update_activity(
                actor,
                plan,
                activity_id,
                expected_version=form.expected_version(),
                data=form.to_data(),
            )

        done = _("The activity was saved.")
    return _save(change, plan, done, again)


@blueprint.route("/plans/<int:plan_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_activity(plan_id: int) -> Reply:
    return _activity_view(_editable_plan(plan_id), None)


@blueprint.route("/plans/<int:plan_id>/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_activity(plan_id: int, activity_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    return _activity_view(plan, _activity_of(plan, activity_id))


@blueprint.route("/plans/<int:plan_id>/activities/<int:activity_id>/delete", methods=["POST"])
@login_required
def delete_activity(plan_id: int, activity_id: int) -> Reply:
    plan = _editable_plan(plan_id)
    activity = _activity_of(plan, activity_id)
    title = activity.title
    form = DeleteActivityForm()
    if not form.validate():
        abort(400)
    try:
        with unit_of_work():
            operations.delete_activity(
                _actor(), plan, activity_id, expected_version=form.expected_version()
            )
    except NotAllowedFromState:
        return _not_editable(plan)
    # A stale version propagates: the app-wide handler shows the 409 page with the message.
    flash(_("The activity “%(title)s” was deleted.", title=title), "success")
    return _plan_page(plan.id)
