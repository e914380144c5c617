"""Guards for the action plan workflow, registered by name for the definitions to use."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..engine import guards
from ..engine.guards import Problem
from ..extensions import db
from .forms import target_name
from .models import ActionPlan, Activity, Indicator


def _load_contents(plan: ActionPlan) -> None:
    """What `plan_complete` reads, in two statements (the activities with their funding,
    the indicators with their targets) instead of a lazy load of each collection."""
    unloaded = inspect(plan).unloaded
    if "activities" in unloaded:
        activities = select(Activity).where(Activity.plan_id == plan.id)
        found = db.session.scalars(
            activities.options(joinedload(Activity.funding)).order_by(Activity.position)
        )
        set_committed_value(plan, "activities", list(found.unique()))
    if "indicators" in unloaded:
        indicators = select(Indicator).where(Indicator.plan_id == plan.id)
        found = db.session.scalars(
            indicators.options(joinedload(Indicator.targets)).order_by(Indicator.position)
        )
        set_committed_value(plan, "indicators", list(found.unique()))


@guards.register("plan_complete", loads=_load_contents)
def plan_complete(plan: ActionPlan) -> list[Problem]:
    """A plan can go to review only with at least one activity, every activity with an agency
    and funding, and every indicator with a baseline and a target for every year.

    Each problem names the editing page that fixes it and the field to jump to there, and
    the item it is about by its place in the plan's lists (as the API's plan shows them)."""
    problems: list[Problem] = []
    if not plan.activities:
        problems.append(
            Problem(
                _("The plan has no activity yet."),
                anchor="activity-form",
                fix_endpoint="plans.new_activity",
                fix_args={"plan_id": plan.id},
                field="activities",
                code="no_activities",
            )
        )
    for index, activity in enumerate(plan.activities):
        problems.extend(_activity_problems(plan, index, activity))
    # The indicators form lists the rows in this order, numbered from 0.
    for row, indicator in enumerate(plan.indicators):
        problems.extend(_indicator_problems(plan, row, indicator))
    return problems


def _activity_problems(plan: ActionPlan, index: int, activity: Activity) -> list[Problem]:
    def fix(message: str, anchor: str, field: str, code: str) -> Problem:
        args = {"plan_id": plan.id, "activity_id": activity.id}
        return Problem(
            message,
            anchor=anchor,
            fix_endpoint="plans.edit_activity",
            fix_args=args,
            field=f"activities[{index}].{field}",
            code=code,
        )

    problems: list[Problem] = []
    if activity.agency_id is None:
        message = _("Activity “%(title)s” has no responsible agency.", title=activity.title)
        problems.append(fix(message, "agency_id", "agency_id", "activity_without_agency"))
    if not any(f.amount > 0 for f in activity.funding):
        # The activity form always has at least one funding row.
        message = _("Activity “%(title)s” has no funding.", title=activity.title)
        problems.append(fix(message, "funding-0-amount", "funding", "activity_without_funding"))
    return problems


def _indicator_problems(plan: ActionPlan, row: int, indicator: Indicator) -> list[Problem]:
    def fix(message: str, field_name: str, code: str) -> Problem:
        return Problem(
            message,
            anchor=f"rows-{row}-{field_name}",
            fix_endpoint="plans.edit_indicators",
            fix_args={"plan_id": plan.id},
            field=f"indicators[{row}].{field_name}",
            code=code,
        )

    problems: list[Problem] = []
    if indicator.baseline_year is None or indicator.baseline_value is None:
        field_name = "baseline_year" if indicator.baseline_year is None else "baseline_value"
        problems.append(
            fix(
                _("Indicator “%(name)s” has no baseline.", name=indicator.name),
                field_name,
                "indicator_without_baseline",
            )
        )
    missing = [year for year in plan.years if indicator.target_for(year) is None]
    if missing:
        message = _(
            "Indicator “%(name)s” has no target for %(years)s.",
            name=indicator.name,
            years=", ".join(str(y) for y in missing),
        )
        problems.append(fix(message, target_name(missing[0]), "indicator_without_target"))
    return problems
