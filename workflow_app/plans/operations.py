"""The one door for every change to an action plan. Views, the CLI and tasks call these;
nothing else sets a plan's state, writes its history or edits its contents.

Operations change rows and flush; they never commit. The caller wraps them in
`unit_of_work()`, which commits once or rolls everything back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import policy
from ..accounts.models import User
from ..engine import (
    InvalidInput,
    OutOfScope,
    RoleNotAllowed,
    StaleObject,
)
from ..extensions import db
from ..firing import fire, record_opening
from ..models_base import utcnow
from ..number_input import NumberError, check_number
from ..regions.models import Agency, Region
from ..unit_of_work import STALE_MESSAGE
from ..versions.store import remember as remember_version
from ..workflows import PLAN_WORKFLOW, registry, roles
from . import funding, live_period
from .access import region_scope
from .models import (
    PLAN_KIND_NAME,
    ActionPlan,
    Activity,
    Challenge,
    Funding,
    Indicator,
    IndicatorTarget,
)
from .vocabulary import indicator_value_kind

CREATE_TRIGGER = "create"  # pseudo-trigger of the first history row


# --- plain data handed in by forms, the CLI and imports -------------------------------


@dataclass
class IndicatorData:
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: Decimal | None
    targets: dict[int, Decimal] = field(default_factory=dict)


@dataclass
class FundingData:
    year: int
    source: str
    amount: int


@dataclass
class ActivityData:
    sub_sector: str
    activity_type: str
    title: str
    location: str
    volume: Decimal | None
    unit: str
    agency_id: int | None
    start_year: int
    end_year: int
    funding: list[FundingData] = field(default_factory=list)


# --- checks shared by the operations ---------------------------------------------------


@cache
def _with_province() -> tuple[Any, ...]:
    """The loader options of `load_visible_plan`, built once (they never change)."""
    return (joinedload(ActionPlan.region).joinedload(Region.parent),)


def load_visible_plan(actor: User, plan_id: int) -> ActionPlan:
    """The plan, if `actor` may see it; otherwise 'not found', never 'forbidden'."""
    # The region's parent (the province) is part of the plan's scope: load it in the same
    # query rather than lazily, one round trip less on every plan page and action.
    plan = db.session.get(ActionPlan, plan_id, options=_with_province())
    if plan is None or not policy.may_see(actor, plan):
        raise OutOfScope("plan not found")
    return plan


def _check_version(plan: ActionPlan, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != plan.version:
        raise StaleObject(STALE_MESSAGE)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleObject(STALE_MESSAGE) from exc


def can_edit(actor: User, plan: ActionPlan) -> bool:
    """Whether `actor` may change the plan's contents now (policy.may_edit)."""
    return policy.may_edit(actor, plan)


def _check_editable(actor: User, plan: ActionPlan, expected_version: int | None) -> None:
    policy.check_edit(actor, plan)
    _check_version(plan, expected_version)


def check_editable(actor: User, plan: ActionPlan) -> None:
    """Raise the refusal an edit by `actor` would meet now, so a form is never shown in vain
    (OutOfScope, RoleNotAllowed or NotAllowedFromState)."""
    _check_editable(actor, plan, None)


def _touch(plan: ActionPlan) -> None:
    """Bump the plan's version when only its child rows changed, so stale edits are caught."""
    plan.updated_at = utcnow()


def _check_agency(plan: ActionPlan, agency_id: int | None) -> None:
    if agency_id is None:
        return
    agency = db.session.get(Agency, agency_id)
    if agency is None or agency.region_id not in (plan.region_id, plan.region.parent_id):
        raise InvalidInput(_("The agency does not belong to this plan's region."))


# --- operations ---------------------------------------------------------------------


def create_plan(
    actor: User, region: Region, *, title: str, period_start: int, period_end: int
) -> ActionPlan:
    # Whoever owns the state a new plan starts in creates it, where their role reaches.
    definition = registry().latest(PLAN_WORKFLOW)
    creator = policy.creator_role(PLAN_KIND_NAME)
    if not policy.may_create(actor, PLAN_KIND_NAME, region_scope(region)):
        label = roles().label(creator, "en")
        raise RoleNotAllowed(f"only a {label} of this district may create its plans")
    if period_end < period_start:
        raise InvalidInput(_("The period ends before it starts."))
    # One live plan per district and period: refused before anything is written.
    live_period.check_free(region, period_start, period_end)
    plan = ActionPlan(
        region=region,
        title=title.strip(),
        period_start=period_start,
        period_end=period_end,
        state=definition.initial,
        workflow_name=definition.name,
        workflow_version=definition.version,
        created_by=actor,
    )
    db.session.add(plan)
    remember_version(definition)  # the version this case keeps, stored once
    db.session.flush()
    # Its years, held under the database's constraint: of two creating at once, one wins.
    live_period.hold(plan, period_start, period_end)
    record_opening(actor, plan, trigger=CREATE_TRIGGER, role=creator)
    return plan


def update_header(
    actor: User,
    plan: ActionPlan,
    *,
    expected_version: int | None,
    title: str,
    period_start: int,
    period_end: int,
) -> None:
    _check_editable(actor, plan, expected_version)
    if period_end < period_start:
        raise InvalidInput(_("The period ends before it starts."))
    new_period = (period_start, period_end) != (plan.period_start, plan.period_end)
    if new_period:
        live_period.check_free(plan.region, period_start, period_end, besides=plan)
        _fit_contents_to_period(plan, period_start, period_end)
    plan.title = title.strip()
    plan.period_start = period_start
    plan.period_end = period_end
    _touch(plan)
    _flush()
    if new_period and live_period.is_live(plan):
        live_period.hold(plan, period_start, period_end)


def _fit_contents_to_period(plan: ActionPlan, start: int, end: int) -> None:
    """A new period drops the targets of years outside it; activities scheduled or funded
    outside it must be changed first, so no money silently disappears from the plan."""
    outside = [
        a.title
        for a in plan.activities
        if a.start_year < start
        or a.end_year > end
        or any(not start <= f.year <= end for f in a.funding)
    ]
    if outside:
        raise InvalidInput(
            _(
                "These activities are scheduled or funded outside %(start)s–%(end)s; "
                "change them first: %(titles)s",
                start=start,
                end=end,
                titles=", ".join(outside),
            )
        )
    for indicator in plan.indicators:
        indicator.targets = [t for t in indicator.targets if start <= t.year <= end]


def replace_challenges(
    actor: User, plan: ActionPlan, *, expected_version: int | None, descriptions: Sequence[str]
) -> None:
    _check_editable(actor, plan, expected_version)
    plan.challenges = [
        Challenge(position=index, description=text.strip())
        for index, text in enumerate(d for d in descriptions if d.strip())
    ]
    _touch(plan)
    _flush()


def replace_indicators(
    actor: User,
    plan: ActionPlan,
    *,
    expected_version: int | None,
    indicators: Sequence[IndicatorData],
) -> None:
    _check_editable(actor, plan, expected_version)
    for data in indicators:
        _check_indicator_values(data)
    plan.indicators = [
        Indicator(
            position=index,
            name=data.name.strip(),
            unit=data.unit.strip(),
            baseline_year=data.baseline_year,
            baseline_value=data.baseline_value,
            targets=[
                IndicatorTarget(year=year, value=value)
                for year, value in sorted(data.targets.items())
                if value is not None
            ],
        )
        for index, data in enumerate(indicators)
    ]
    _touch(plan)
    _flush()


def _check_indicator_values(data: IndicatorData) -> None:
    """An indicator's baseline and targets within the bounds of its unit (a percentage is
    0–100): InvalidInput naming the indicator."""
    kind = indicator_value_kind(data.unit)
    values = [data.baseline_value, *data.targets.values()]
    for value in (v for v in values if v is not None):
        try:
            check_number(value, kind)
        except NumberError as exc:
            raise InvalidInput(
                _("Indicator “%(name)s”: %(problem)s", name=data.name.strip(), problem=exc)
            ) from None


def _merged_funding(data: ActivityData) -> dict[tuple[int, str], int]:
    title = data.title.strip()
    funding.check_schedule(title, data.start_year, data.end_year, data.funding)
    return funding.merged(title, data.funding)


def _apply_activity(
    activity: Activity, data: ActivityData, merged: dict[tuple[int, str], int]
) -> None:
    """Set the activity from `data`, its funding from `merged` (checked beforehand)."""
    activity.sub_sector = data.sub_sector
    activity.activity_type = data.activity_type
    activity.title = data.title.strip()
    activity.location = data.location.strip()
    activity.volume = data.volume
    activity.unit = data.unit.strip()
    activity.agency_id = data.agency_id
    activity.start_year = data.start_year
    activity.end_year = data.end_year
    # Keep the row of each (year, source) that stays: the flush inserts new rows before it
    # deletes orphans, so a fresh row with the same key would break the unique constraint.
    existing = {(f.year, f.source): f for f in activity.funding}
    rows = []
    for (year, source), amount in sorted(merged.items()):
        row = existing.get((year, source)) or Funding(year=year, source=source)
        row.amount = amount
        rows.append(row)
    activity.funding = rows


def add_activity(
    actor: User, plan: ActionPlan, *, expected_version: int | None, data: ActivityData
) -> Activity:
    _check_editable(actor, plan, expected_version)
    _check_agency(plan, data.agency_id)
    merged = _merged_funding(data)
    funding.check_plan_total(plan, [(data.title.strip(), sum(merged.values()))])
    activity = Activity(position=len(plan.activities))
    _apply_activity(activity, data, merged)
    plan.activities.append(activity)
    _touch(plan)
    _flush()
    return activity


def update_activity(
    actor: User,
    plan: ActionPlan,
    activity_id: int,
    *,
    expected_version: int | None,
    data: ActivityData,
) -> Activity:
    _check_editable(actor, plan, expected_version)
    _check_agency(plan, data.agency_id)
    activity = next((a for a in plan.activities if a.id == activity_id), None)
    if activity is None:
        raise OutOfScope("activity not found")
    merged = _merged_funding(data)
    funding.check_plan_total(
        plan, [(data.title.strip(), sum(merged.values()))], besides=activity.id
    )
    _apply_activity(activity, data, merged)
    _touch(plan)
    _flush()
    return activity


def delete_activity(
    actor: User, plan: ActionPlan, activity_id: int, *, expected_version: int | None
) -> None:
    _check_editable(actor, plan, expected_version)
    activity = next((a for a in plan.activities if a.id == activity_id), None)
    if activity is None:
        raise OutOfScope("activity not found")
    plan.activities.remove(activity)
    for position, remaining in enumerate(plan.activities):
        remaining.position = position
    _touch(plan)
    _flush()


def replace_activities(
    actor: User,
    plan: ActionPlan,
    *,
    expected_version: int | None,
    activities: Sequence[ActivityData],
) -> list[Activity]:
    """All of the plan's activities replaced by `activities` (an import), in one flush."""
    _check_editable(actor, plan, expected_version)
    for data in activities:
        _check_agency(plan, data.agency_id)
    merged = [_merged_funding(data) for data in activities]
    funding.check_plan_total(
        plan,
        [
            (data.title.strip(), sum(rows.values()))
            for data, rows in zip(activities, merged, strict=True)
        ],
        keep_others=False,
    )
    fresh = []
    for position, (data, rows) in enumerate(zip(activities, merged, strict=True)):
        activity = Activity(position=position)
        _apply_activity(activity, data, rows)
        fresh.append(activity)
    plan.activities = fresh
    _touch(plan)
    _flush()
    return fresh


# Firing a plan's transition is the one door's work (firing.fire: checks, history, deadlines,
# hooks, emails); the name stays for the views, the CLI, the demo data and the tests.
transition = fire
