"""A plan's contents frozen as plain JSON at every submission, so a reviewer can later see
what changed between two submissions even after the rows themselves were replaced."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, insert, select

from ..changes.writes import Write
from ..extensions import db
from ..firing import Fired, on_writing
from ..history import CaseTransition
from ..plans.models import PLAN_KIND_NAME, ActionPlan, Activity, Indicator
from .models import PlanSnapshot

SNAPSHOT_FORMAT = 1


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as plain text without trailing zeros, so 12.50 and 12.5 snapshot alike."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _indicator(indicator: Indicator) -> dict[str, Any]:
    return {
        "name": indicator.name,
        "unit": indicator.unit,
        "baseline_year": indicator.baseline_year,
        "baseline_value": decimal_text(indicator.baseline_value),
        "targets": {
            str(t.year): decimal_text(t.value)
            for t in sorted(indicator.targets, key=lambda t: t.year)
        },
    }


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "title": activity.title,
        "location": activity.location,
        "sub_sector": activity.sub_sector,
        "activity_type": activity.activity_type,
        "volume": decimal_text(activity.volume),
        "unit": activity.unit,
        "agency": activity.agency.name if activity.agency else None,
        "start_year": activity.start_year,
        "end_year": activity.end_year,
        "funding": [
            {"year": f.year, "source": f.source, "amount": int(f.amount)}
            for f in sorted(activity.funding, key=lambda f: (f.year, f.source))
        ],
    }


def snapshot_data(plan: ActionPlan) -> dict[str, Any]:
    """The plan's header and contents, in their display order, as JSON-ready values."""
    return {
        "format": SNAPSHOT_FORMAT,
        "header": {
            "title": plan.title,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "region": plan.region.code,
        },
        "challenges": [c.description for c in sorted(plan.challenges, key=lambda c: c.position)],
        "indicators": [_indicator(i) for i in sorted(plan.indicators, key=lambda i: i.position)],
        "activities": [_activity(a) for a in sorted(plan.activities, key=lambda a: a.position)],
    }


_COLUMNS = ("plan_id", "transition_id", "created_at", "data")


@cache
def _inserting() -> Insert:
    """A snapshot's INSERT, its columns bound as `snapshot_<column>`, built once."""
    table = PlanSnapshot.__table__
    return insert(table).values(
        {name: bindparam(f"snapshot_{name}", type_=table.c[name].type) for name in _COLUMNS}
    )


def submission_snapshot(plan: ActionPlan, record: CaseTransition) -> Write:
    """The INSERT of the plan's snapshot at the submission `record` (linked, its id taken),
    to run with the history row's (firing's `writing` hooks)."""
    values = (plan.id, record.id, record.created_at, snapshot_data(plan))
    return Write(
        ("plan_snapshot",),
        _inserting(),
        {f"snapshot_{name}": value for name, value in zip(_COLUMNS, values, strict=True)},
    )


def snapshots_of(plan_id: int) -> list[PlanSnapshot]:
    """Every snapshot of the plan, oldest first."""
    query = select(PlanSnapshot).where(PlanSnapshot.plan_id == plan_id).order_by(PlanSnapshot.id)
    return list(db.session.scalars(query))


def last_two_snapshots(plan_id: int) -> tuple[PlanSnapshot, PlanSnapshot] | None:
    """(previous, latest) submission snapshots, or None before the second submission."""
    query = (
        select(PlanSnapshot)
        .where(PlanSnapshot.plan_id == plan_id)
        .order_by(PlanSnapshot.id.desc())
        .limit(2)
    )
    rows = list(db.session.scalars(query))
    if len(rows) < 2:
        return None
    return rows[1], rows[0]


@on_writing
def _snapshot_on_submission(fired: Fired) -> None:
    """A transition the definition marks `snapshot` keeps the plan's contents as submitted:
    what the reviewer's diff compares. Written in the history row's statement."""
    if fired.transition.snapshot and fired.kind.name == PLAN_KIND_NAME:
        assert fired.record is not None
        fired.writes.append(submission_snapshot(fired.case, fired.record))
