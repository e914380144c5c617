"""The provincial sync overview: every district's plan that needs the province (else its
latest plan), read in a fixed number of queries.

One query lists the districts, one picks and loads one plan not cancelled per region (a window
function in a subquery), and the eager loaders read indicators, targets, activities and
funding in one query each, whatever the number of plans. The rest is computed in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..deadlines.display import DueStatus, due_statuses
from ..extensions import db
from ..plans.access import visible_plans
from ..plans.models import ActionPlan, Activity, Indicator
from ..plans.vocabulary import FUNDING_SOURCES
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, states_tagged
from .flags import Flag, plan_flags

CANCELLED = "cancelled"  # the state tag of abandoned plans: left out of the overview
SYNC_TAG = "sync"  # the state tag of plans waiting at the province: shown before any other
NO_PLAN = "none"  # the state filter's value for districts without a plan
# The indicator every district reports against the national target.
SAFE_SANITATION = "sanitasi aman"
NATIONAL_TARGET = Decimal(30)
NATIONAL_TARGET_YEAR = 2029


@dataclass(frozen=True)
class Trajectory:
    """Baseline and annual targets of one indicator: `points` are (year, value), baseline first."""

    name: str
    unit: str
    baseline_year: int | None
    baseline_value: Decimal | None
    targets: list[tuple[int, Decimal]]

    @property
    def points(self) -> list[tuple[int, Decimal]]:
        start = []
        if self.baseline_year is not None and self.baseline_value is not None:
            start = [(self.baseline_year, self.baseline_value)]
        return start + [(year, value) for year, value in self.targets]


@dataclass
class District:
    region: Region
    plan: ActionPlan | None = None
    due: DueStatus | None = None
    flags: list[Flag] = field(default_factory=list)
    trajectory: Trajectory | None = None
    # (source, year) -> whole Rupiah
    funding: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.funding.values())

    def by_source(self, source: str) -> int:
        return sum(amount for (s, _year), amount in self.funding.items() if s == source)

    def by_year(self, year: int) -> int:
        return sum(amount for (_s, y), amount in self.funding.items() if y == year)


@dataclass
class Overview:
    districts: list[District]
    sources: list[str]  # funding sources present, in vocabulary order
    years: list[int]

    @property
    def funding(self) -> dict[tuple[str, int], int]:
        """(source, year) -> total over the districts shown."""
        totals: dict[tuple[str, int], int] = defaultdict(int)
        for district in self.districts:
            for key, amount in district.funding.items():
                totals[key] += amount
        return dict(totals)

    def source_total(self, source: str) -> int:
        return sum(d.by_source(source) for d in self.districts)

    def year_total(self, year: int) -> int:
        return sum(d.by_year(year) for d in self.districts)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.districts)

    @property
    def trajectories(self) -> list[District]:
        return [d for d in self.districts if d.trajectory is not None]


def districts() -> list[Region]:
    query = (
        select(Region).where(Region.kind != "province").order_by(Region.code)
    )  # regencies and cities
    return list(db.session.scalars(query))


def latest_plans(user: User) -> list[ActionPlan]:
    """One plan of each region that `user` may see: the one waiting at the province (in a
    state tagged `sync`), else the most recent, leaving out cancelled plans (in a state tagged
    `cancelled`); with everything the overview reads loaded eagerly. Another plan of the
    district (a draft for the next period) never hides the one the province must decide."""
    waiting = sorted(states_tagged(PLAN_WORKFLOW, SYNC_TAG))
    ranked = (
        visible_plans(user)
        .where(ActionPlan.state.not_in(sorted(states_tagged(PLAN_WORKFLOW, CANCELLED))))
        .with_only_columns(
            ActionPlan.id,
            func.row_number()
            .over(
                partition_by=ActionPlan.region_id,
                order_by=(
                    case((ActionPlan.state.in_(waiting), 0), else_=1),
                    ActionPlan.created_at.desc(),
                    ActionPlan.id.desc(),
                ),
            )
            .label("rank"),
        )
        .subquery()
    )
    query = (
        select(ActionPlan)
        .where(ActionPlan.id.in_(select(ranked.c.id).where(ranked.c.rank == 1)))
        .options(
            selectinload(ActionPlan.indicators).selectinload(Indicator.targets),
            selectinload(ActionPlan.activities).selectinload(Activity.funding),
        )
    )
    return list(db.session.scalars(query).unique())


def safe_sanitation(plan: ActionPlan) -> Trajectory | None:
    """The plan's "% rumah tangga dengan akses sanitasi aman" indicator, matched by name."""
    for indicator in plan.indicators:
        if SAFE_SANITATION in indicator.name.casefold():
            return Trajectory(
                name=indicator.name,
                unit=indicator.unit,
                baseline_year=indicator.baseline_year,
                baseline_value=indicator.baseline_value,
                targets=[(t.year, t.value) for t in indicator.targets],
            )
    return None


def funding_of(plan: ActionPlan) -> dict[tuple[str, int], int]:
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for activity in plan.activities:
        for row in activity.funding:
            totals[(row.source, row.year)] += row.amount
    return dict(totals)


def overview(user: User, state: str | None = None) -> Overview:
    """Every district with its latest plan, narrowed to plans in `state` (or, with `NO_PLAN`,
    to districts without one). Totals cover the districts shown."""
    plans = {plan.region_id: plan for plan in latest_plans(user)}
    dues = due_statuses(plans.values())
    rows: list[District] = []
    for region in districts():
        plan = plans.get(region.id)
        if state == NO_PLAN and plan is not None:
            continue
        if state and state != NO_PLAN and (plan is None or plan.state != state):
            continue
        if plan is None:
            rows.append(District(region))
            continue
        rows.append(
            District(
                region,
                plan,
                due=dues.get(plan.id),
                flags=plan_flags(plan),
                trajectory=safe_sanitation(plan),
                funding=funding_of(plan),
            )
        )
    present = {source for row in rows for source, _year in row.funding}
    order = list(FUNDING_SOURCES)
    sources = sorted(present, key=lambda s: (order.index(s) if s in order else len(order), s))
    years = sorted({year for row in rows for _source, year in row.funding})
    return Overview(districts=rows, sources=sources, years=years)
