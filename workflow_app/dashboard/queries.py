"""The dashboard's numbers, each section one aggregate query (GROUP BY in SQL), whatever the
number of plans and reports.

Queries per page: the districts, plans by state, overdue plans, overdue reports, realisation,
indicators with targets, achieved values, funding; plus the working-day calendar once when
anything is overdue. Everything else is arithmetic on those rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, func, select

from ..accounts.models import User
from ..deadlines.calendar_store import current_calendar
from ..deadlines.display import due_status
from ..engine.calendar import WITA
from ..extensions import db
from ..monitoring.access import report_condition
from ..monitoring.models import ProgressReport, ReportIndicatorValue, ReportLine
from ..plans.models import ActionPlan, Activity, Funding, Indicator, IndicatorTarget
from ..plans.vocabulary import FUNDING_SOURCES
from ..regions.models import Region
from ..sync.queries import NATIONAL_TARGET, NATIONAL_TARGET_YEAR, SAFE_SANITATION
from ..workflows import PLAN_WORKFLOW, REPORT_WORKFLOW, states_tagged
from . import scope

# Only figures the district has sent count (reports in a state tagged `reported`): a report
# that is still due or returned holds numbers carried over from the previous quarter or half
# typed, not a statement. Cancelled plans (a state tagged `cancelled`) are left out.
REPORTED = "reported"
CANCELLED = "cancelled"
ONE_DECIMAL = Decimal("0.1")


def counted_report_states() -> list[str]:
    return sorted(states_tagged(REPORT_WORKFLOW, REPORTED))


def cancelled_plan_states() -> list[str]:
    return sorted(states_tagged(PLAN_WORKFLOW, CANCELLED))


__all__ = ["NATIONAL_TARGET", "NATIONAL_TARGET_YEAR", "Dashboard", "Filters", "build"]


@dataclass(frozen=True)
class Filters:
    year: int
    region_code: str | None = None
    sub_sector: str | None = None


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _decimal(value: object) -> Decimal:
    # SQLite returns sums of NUMERIC columns as float; str() keeps the digits it printed.
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


# --- 1. plans by state ------------------------------------------------------------------------


def plans_by_state(user: User, filters: Filters) -> dict[tuple[str, str], int]:
    """(region code, state) -> number of visible plans."""
    query = (
        select(Region.code, ActionPlan.state, func.count(ActionPlan.id))
        .join_from(ActionPlan, Region, ActionPlan.region_id == Region.id)
        .where(ActionPlan.id.in_(scope.visible_plan_ids(user)))
        .group_by(Region.code, ActionPlan.state)
    )
    if filters.region_code:
        query = query.where(Region.code == filters.region_code)
    return {(code, state): count for code, state, count in db.session.execute(query)}


# --- 2. overdue -------------------------------------------------------------------------------


@dataclass
class Overdue:
    """Overdue plans and reports of one district; `*_days`: the longest, in working days."""

    plans: int = 0
    plans_days: int = 0
    reports: int = 0
    reports_days: int = 0

    @property
    def total(self) -> int:
        return self.plans + self.reports


def start_of_today(now: datetime) -> datetime:
    """Midnight of `now`'s WITA date: a deadline before it is overdue (as on the plan pages,
    where a deadline of today is `today`, not overdue)."""
    return datetime.combine(now.astimezone(WITA).date(), time.min, tzinfo=WITA)


def overdue(user: User, filters: Filters, now: datetime) -> dict[str, Overdue]:
    cutoff = start_of_today(now)
    plans = (
        select(Region.code, func.count(ActionPlan.id), func.min(ActionPlan.due_at))
        .join_from(ActionPlan, Region, ActionPlan.region_id == Region.id)
        .where(
            ActionPlan.id.in_(scope.visible_plan_ids(user)),
            ActionPlan.state.in_(scope.open_plan_states()),
            ActionPlan.due_at < cutoff,
        )
        .group_by(Region.code)
    )
    reports = (
        select(Region.code, func.count(ProgressReport.id), func.min(ProgressReport.due_at))
        .join_from(ProgressReport, ActionPlan, ProgressReport.plan_id == ActionPlan.id)
        .join(Region, ActionPlan.region_id == Region.id)
        .where(
            report_condition(user),
            ProgressReport.state.in_(scope.open_report_states()),
            ProgressReport.due_at < cutoff,
        )
        .group_by(Region.code)
    )
    if filters.region_code:
        plans = plans.where(Region.code == filters.region_code)
        reports = reports.where(Region.code == filters.region_code)
    plan_rows = db.session.execute(plans).all()
    report_rows = db.session.execute(reports).all()
    if not plan_rows and not report_rows:
        return {}
    calendar = current_calendar()  # once per request, for every district's longest delay
    result: dict[str, Overdue] = defaultdict(Overdue)
    for code, count, earliest in plan_rows:
        result[code].plans = count
        result[code].plans_days = due_status(earliest, now, calendar).working_days
    for code, count, earliest in report_rows:
        result[code].reports = count
        result[code].reports_days = due_status(earliest, now, calendar).working_days
    return dict(result)


# --- 3. physical against financial realisation -------------------------------------------------


@dataclass(frozen=True)
class Realisation:
    """One district's realisation at the end of one quarter of the chosen year (cumulative),
    computed as on a plan's page (monitoring.realisation): physical progress weighted by the
    activities' budgets of the year (a plain average when none has a budget), money spent
    against the budget."""

    quarter: int
    budget: int
    spent: int | None
    weighted_sum: Decimal  # sum of physical % x budget over lines reporting progress
    weight: int  # sum of the budgets of those lines
    progress_sum: Decimal  # sum of physical % over lines reporting progress
    progress_count: int

    @property
    def physical(self) -> Decimal | None:
        if self.weight:
            average = self.weighted_sum / self.weight
        elif self.progress_count:
            average = self.progress_sum / self.progress_count
        else:
            return None
        return average.quantize(ONE_DECIMAL, ROUND_HALF_UP)

    @property
    def financial(self) -> Decimal | None:
        return None if self.spent is None else percent(self.spent, self.budget)


def realisation(user: User, filters: Filters) -> dict[str, list[Realisation]]:
    """Region code -> its quarters of `filters.year` with a counted report, in order."""
    reported = ReportLine.physical_progress.isnot(None)
    query = (
        select(
            Region.code,
            ProgressReport.quarter,
            func.sum(ReportLine.budget),
            func.sum(ReportLine.spent),
            func.sum(case((reported, ReportLine.physical_progress * ReportLine.budget), else_=0)),
            func.sum(case((reported, ReportLine.budget), else_=0)),
            func.sum(ReportLine.physical_progress),
            func.count(ReportLine.physical_progress),
        )
        .join_from(ReportLine, ProgressReport, ReportLine.report_id == ProgressReport.id)
        .join(ActionPlan, ProgressReport.plan_id == ActionPlan.id)
        .join(Region, ActionPlan.region_id == Region.id)
        .where(
            report_condition(user),
            ProgressReport.year == filters.year,
            ProgressReport.state.in_(counted_report_states()),
        )
        .group_by(Region.code, ProgressReport.quarter)
        .order_by(Region.code, ProgressReport.quarter)
    )
    if filters.sub_sector:
        query = query.join(Activity, ReportLine.activity_id == Activity.id).where(
            Activity.sub_sector == filters.sub_sector
        )
    if filters.region_code:
        query = query.where(Region.code == filters.region_code)
    result: dict[str, list[Realisation]] = defaultdict(list)
    for code, quarter, budget, spent, weighted, weight, total, count in db.session.execute(query):
        result[code].append(
            Realisation(
                quarter=quarter,
                budget=int(budget or 0),
                spent=None if spent is None else int(spent),
                weighted_sum=_decimal(weighted),
                weight=int(weight or 0),
                progress_sum=_decimal(total),
                progress_count=int(count),
            )
        )
    return dict(result)


# --- 4. indicator trajectories -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRef:
    """Enough of a plan to name it and label its state (`state_label` reads these)."""

    id: int
    title: str
    state: str
    workflow_name: str
    workflow_version: int


@dataclass
class Trajectory:
    plan: PlanRef
    indicator_id: int
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: Decimal | None
    targets: dict[int, Decimal] = field(default_factory=dict)
    # year -> (value, quarter of the latest counted report of that year)
    achieved: dict[int, tuple[Decimal, int]] = field(default_factory=dict)

    @property
    def baseline(self) -> list[tuple[int, Decimal]]:
        if self.baseline_year is None or self.baseline_value is None:
            return []
        return [(self.baseline_year, self.baseline_value)]

    @property
    def target_points(self) -> list[tuple[int, Decimal]]:
        return self.baseline + sorted(self.targets.items())

    @property
    def years(self) -> list[int]:
        known = {y for y, _v in self.baseline} | set(self.targets) | set(self.achieved)
        return sorted(known)


def _chosen_plans(user: User) -> Select[tuple[int]]:
    """Each district's plan to chart: its latest agreed plan (approved, monitored or closed),
    else its latest plan that was not cancelled."""
    agreed = scope.agreed_plan_states()
    ranked = (
        select(
            ActionPlan.id,
            func.row_number()
            .over(
                partition_by=ActionPlan.region_id,
                order_by=(
                    case((ActionPlan.state.in_(agreed), 0), else_=1),
                    ActionPlan.created_at.desc(),
                    ActionPlan.id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(
            ActionPlan.id.in_(scope.visible_plan_ids(user)),
            ActionPlan.state.not_in(cancelled_plan_states()),
        )
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank == 1)


def trajectories(user: User, filters: Filters) -> dict[str, Trajectory]:
    """Region code -> the "% sanitasi aman" indicator of its chosen plan (matched by name as in
    the sync workspace), with targets and the achieved value of the latest counted report of
    each year."""
    matching = (
        Indicator.plan_id.in_(_chosen_plans(user)),
        func.lower(Indicator.name).contains(SAFE_SANITATION, autoescape=True),
    )
    query = (
        select(
            Region.code,
            ActionPlan.id,
            ActionPlan.title,
            ActionPlan.state,
            ActionPlan.workflow_name,
            ActionPlan.workflow_version,
            Indicator.id,
            Indicator.name,
            Indicator.unit,
            Indicator.baseline_year,
            Indicator.baseline_value,
            IndicatorTarget.year,
            IndicatorTarget.value,
        )
        .join_from(Indicator, ActionPlan, Indicator.plan_id == ActionPlan.id)
        .join(Region, ActionPlan.region_id == Region.id)
        .outerjoin(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
        .where(*matching)
        .order_by(Region.code, Indicator.position, Indicator.id, IndicatorTarget.year)
    )
    if filters.region_code:
        query = query.where(Region.code == filters.region_code)
    found: dict[str, Trajectory] = {}
    for row in db.session.execute(query):
        (code, plan_id, title, state, wf_name, wf_version, indicator_id, name, unit) = row[:9]
        baseline_year, baseline_value, year, value = row[9:]
        trajectory = found.get(code)
        if trajectory is None:
            plan = PlanRef(plan_id, title, state, wf_name, wf_version)
            trajectory = Trajectory(plan, indicator_id, name, unit, baseline_year, baseline_value)
            found[code] = trajectory
        if trajectory.indicator_id != indicator_id:
            continue  # a second matching indicator in the same plan: the first one counts
        if year is not None:
            trajectory.targets[year] = _decimal(value)
    _add_achieved(user, found, matching)
    return found


def _add_achieved(user: User, found: dict[str, Trajectory], matching: tuple) -> None:
    ranked = (
        select(
            ReportIndicatorValue.indicator_id,
            ProgressReport.year,
            ProgressReport.quarter,
            ReportIndicatorValue.value,
            func.row_number()
            .over(
                partition_by=(ReportIndicatorValue.indicator_id, ProgressReport.year),
                order_by=ProgressReport.quarter.desc(),
            )
            .label("rank"),
        )
        .join_from(ReportIndicatorValue, ProgressReport)
        .where(
            ReportIndicatorValue.indicator_id.in_(select(Indicator.id).where(*matching)),
            ProgressReport.state.in_(counted_report_states()),
            report_condition(user),
        )
        .subquery()
    )
    query = select(ranked.c.indicator_id, ranked.c.year, ranked.c.quarter, ranked.c.value).where(
        ranked.c.rank == 1
    )
    by_indicator = {t.indicator_id: t for t in found.values()}
    for indicator_id, year, quarter, value in db.session.execute(query):
        trajectory = by_indicator.get(indicator_id)
        if trajectory is not None:
            trajectory.achieved[year] = (_decimal(value), quarter)


# --- 5. funding -----------------------------------------------------------------------------------


def funding(user: User, filters: Filters) -> dict[tuple[str, int], int]:
    """(source, year) -> whole Rupiah over the visible agreed plans (approved, monitored,
    closed): money the province signed off, not proposals that may still change."""
    query = (
        select(Funding.source, Funding.year, func.sum(Funding.amount))
        .join_from(Funding, Activity, Funding.activity_id == Activity.id)
        .join(ActionPlan, Activity.plan_id == ActionPlan.id)
        .where(
            ActionPlan.id.in_(scope.visible_plan_ids(user)),
            ActionPlan.state.in_(scope.agreed_plan_states()),
        )
        .group_by(Funding.source, Funding.year)
    )
    if filters.sub_sector:
        query = query.where(Activity.sub_sector == filters.sub_sector)
    if filters.region_code:
        query = query.join(Region, ActionPlan.region_id == Region.id).where(
            Region.code == filters.region_code
        )
    return {(source, year): int(amount) for source, year, amount in db.session.execute(query)}


def source_order(sources: set[str]) -> list[str]:
    order = list(FUNDING_SOURCES)
    return sorted(sources, key=lambda s: (order.index(s) if s in order else len(order), s))


# --- all together ----------------------------------------------------------------------------


@dataclass
class Dashboard:
    filters: Filters
    districts: list[Region]  # the rows shown: visible districts, narrowed by the filter
    plans_by_state: dict[tuple[str, str], int]
    overdue: dict[str, Overdue]
    realisation: dict[str, list[Realisation]]
    trajectories: dict[str, Trajectory]
    funding: dict[tuple[str, int], int]

    def plan_count(self, code: str, state: str | None = None) -> int:
        counts = self.plans_by_state.items()
        return sum(n for (c, s), n in counts if c == code and state in (None, s))

    def state_total(self, state: str) -> int:
        return sum(n for (_c, s), n in self.plans_by_state.items() if s == state)

    @property
    def plans_total(self) -> int:
        return sum(self.plans_by_state.values())

    @property
    def present_states(self) -> set[str]:
        return {state for _code, state in self.plans_by_state}

    @property
    def funding_sources(self) -> list[str]:
        return source_order({source for source, _year in self.funding})

    @property
    def funding_years(self) -> list[int]:
        return sorted({year for _source, year in self.funding})

    def source_total(self, source: str) -> int:
        return sum(a for (s, _y), a in self.funding.items() if s == source)

    def year_total(self, year: int) -> int:
        return sum(a for (_s, y), a in self.funding.items() if y == year)

    @property
    def funding_total(self) -> int:
        return sum(self.funding.values())


def build(user: User, filters: Filters, now: datetime, regions: list[Region]) -> Dashboard:
    """Every section for `user`; `regions`: the districts the user may see (see scope)."""
    shown = [r for r in regions if not filters.region_code or r.code == filters.region_code]
    return Dashboard(
        filters=filters,
        districts=shown,
        plans_by_state=plans_by_state(user, filters),
        overdue=overdue(user, filters, now),
        realisation=realisation(user, filters),
        trajectories=trajectories(user, filters),
        funding=funding(user, filters),
    )
