"""Guards for the action plan workflow, registered by name for the definitions to use."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, inspect, null, select, union_all
from sqlalchemy.orm import Load, aliased
from sqlalchemy.orm.attributes import set_committed_value

from ..engine import guards
from ..engine.guards import Problem
from ..extensions import db
from ..regions.models import Agency
from .forms import target_name
from .models import (
    ActionPlan,
    Activity,
    Challenge,
    Funding,
    Indicator,
    IndicatorTarget,
)

# The plan's contents read by `_load_contents`: each collection's rows with what hangs
# off them (their owner's relationship, then each row's own to fill).
_PARTS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("activities", (Activity, Funding, Agency)),
    ("indicators", (Indicator, IndicatorTarget)),
    ("challenges", (Challenge,)),
)
_ORDER = {
    Activity: ("position", "id"),
    Funding: ("year", "source", "id"),
    Indicator: ("position", "id"),
    IndicatorTarget: ("year", "id"),
    Challenge: ("position", "id"),
}


def _columns() -> list[tuple[type, Any]]:
    return [(model, c) for _, models in _PARTS for model in models for c in model.__table__.c]


def _part(collection: str) -> Any:
    """One collection's rows (LEFT JOINed to what hangs off them), every other part's columns
    NULL: a part of the UNION ALL, its columns named `<table>_<column>`."""
    models = dict(_PARTS)[collection]
    lead = models[0]
    filled = {c for model in models for c in model.__table__.c}
    query = select(
        *(
            (c if c in filled else null().cast(c.type)).label(f"{model.__tablename__}_{c.name}")
            for model, c in _columns()
        )
    ).select_from(lead)
    if lead is Activity:
        query = query.outerjoin(Funding, Funding.activity_id == Activity.id).outerjoin(
            Agency, Agency.id == Activity.agency_id
        )
    elif lead is Indicator:
        query = query.outerjoin(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
    return query.where(lead.plan_id == bindparam("plan_id"))


@cache
def _contents_query(collections: tuple[str, ...]) -> Any:
    """The rows of `collections` of a plan as one UNION ALL (one round trip), each model
    mapped onto its own columns of it; built once per combination."""
    parts = [_part(collection) for collection in collections]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    models = [model for name, found in _PARTS if name in collections for model in found]
    entities = [aliased(model, rows) for model in models]
    order = [
        rows.c[f"{model.__tablename__}_{name}"]
        for model in models
        for name in _ORDER.get(model, ())
    ]
    return (
        select(*entities)
        .order_by(*order)
        .options(*(Load(entity).lazyload("*") for entity in entities))
    ), models


def _load_contents(plan: ActionPlan) -> None:
    """What `plan_complete` reads (the activities with their funding and agency, the
    indicators with their targets) and the challenges, which the submission it guards
    snapshots next (reviews.snapshots), in one statement instead of a statement per
    collection (issue 17)."""
    unloaded = inspect(plan).unloaded
    collections = tuple(name for name, _ in _PARTS if name in unloaded)
    if not collections:
        return
    query, models = _contents_query(collections)
    found: dict[type, dict[int, Any]] = {model: {} for model in models}
    for row in db.session.execute(query, {"plan_id": plan.id}):
        for model, obj in zip(models, row, strict=True):
            if obj is not None:
                found[model].setdefault(obj.id, obj)
    if "activities" in collections:
        funding = _by(found[Funding].values(), "activity_id")
        for activity in found[Activity].values():
            set_committed_value(activity, "funding", funding.get(activity.id, []))
            set_committed_value(activity, "agency", found[Agency].get(activity.agency_id))
        set_committed_value(plan, "activities", list(found[Activity].values()))
    if "indicators" in collections:
        targets = _by(found[IndicatorTarget].values(), "indicator_id")
        for indicator in found[Indicator].values():
            set_committed_value(indicator, "targets", targets.get(indicator.id, []))
        set_committed_value(plan, "indicators", list(found[Indicator].values()))
    if "challenges" in collections:
        set_committed_value(plan, "challenges", list(found[Challenge].values()))


def _by(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


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
