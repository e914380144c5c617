"""Read-only queries behind the reports list, its export and the reports on "my tasks".

Every query starts from `visible_reports(user)`, so a list never shows a report its page
would refuse. Plans and their regions are loaded in the same statement: the cost of a page
does not grow with the number of reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Bundle, aliased, joinedload, selectinload

from ..accounts.models import User
from ..deadlines.display import DueStatus
from ..engine import TransitionDef
from ..engine.calendar import WITA
from ..extensions import db
from ..models_base import utcnow
from ..paging import Page
from ..plans.case_queries import earliest_due_first, overseen_cases, state_names, task_page
from ..plans.lists_paging import ListPage, read_page
from ..plans.models import ActionPlan
from ..plans.queries import TASKS_SHOWN
from ..plans.search import ListedRegion
from ..plans.task_list_rows import RowRegion, row_task_page
from ..regions.models import Region
from ..workflows import REPORT_WORKFLOW, registry
from .access import visible_reports
from .models import REPORT_KIND_NAME, ProgressReport, ReportLine
from .quarters import ROMAN, Quarter


@dataclass(frozen=True)
class ReportFilters:
    """What the reports list (and its export) is narrowed to. Values that cannot be meant
    (a year that is not a number, a sixth quarter) are dropped rather than refused."""

    state: str | None = None
    year: int | None = None
    quarter: int | None = None
    district: str | None = None  # region code
    overdue: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportFilters:
        def integer(name: str) -> int | None:
            text = (args.get(name) or "").strip()
            return int(text) if text.isdigit() and len(text) <= 4 else None

        quarter = integer("quarter")
        state = (args.get("state") or "").strip()
        return cls(
            state=state if state in report_state_names() else None,
            year=integer("year"),
            quarter=quarter if quarter in ROMAN else None,
            district=(args.get("district") or "").strip()[:10] or None,
            overdue=args.get("overdue") in ("1", "on", "true"),
        )

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links that keep them)."""
        args = {
            "state": self.state or "",
            "year": str(self.year or ""),
            "quarter": str(self.quarter or ""),
            "district": self.district or "",
            "overdue": "1" if self.overdue else "",
        }
        return {key: value for key, value in args.items() if value}


def report_state_names() -> set[str]:
    return state_names(REPORT_WORKFLOW)


def report_state_options(language: str) -> list[tuple[str, str]]:
    """(state, label) of the report workflow's latest version, in definition order."""
    latest = registry().latest(REPORT_WORKFLOW)
    return [(name, state.label.get(language)) for name, state in latest.states.items()]


def _with_plan(query: Select[tuple[ProgressReport]]) -> Select[tuple[ProgressReport]]:
    return query.options(
        joinedload(ProgressReport.plan).joinedload(ActionPlan.region).joinedload(Region.parent)
    )


def _earliest_due_first(query: Select[tuple[ProgressReport]]) -> Select[tuple[ProgressReport]]:
    # Reports without a deadline (verified ones) last; the latest quarter first among equals.
    return earliest_due_first(
        query, ProgressReport, ProgressReport.year.desc(), ProgressReport.quarter.desc()
    )


def _in_order(query: Select[tuple[ProgressReport]]) -> Select[tuple[ProgressReport]]:
    return _earliest_due_first(_with_plan(query))


def _filtered(user: User, filters: ReportFilters) -> Select[tuple[ProgressReport]]:
    return _in_order(_narrowed(user, filters))


def _narrowed(user: User, filters: ReportFilters) -> Select[tuple[ProgressReport]]:
    """The reports `user` may see, narrowed by `filters` (in no order, nothing loaded)."""
    query = visible_reports(user)
    if filters.state:
        query = query.where(ProgressReport.state == filters.state)
    if filters.year:
        query = query.where(ProgressReport.year == filters.year)
    if filters.quarter:
        query = query.where(ProgressReport.quarter == filters.quarter)
    if filters.district:
        region_ids = select(Region.id).where(Region.code == filters.district)
        plan_ids = select(ActionPlan.id).where(ActionPlan.region_id.in_(region_ids))
        query = query.where(ProgressReport.plan_id.in_(plan_ids))
    if filters.overdue:
        query = query.where(ProgressReport.due_at < _start_of_today())
    return query


def _start_of_today() -> datetime:
    """Midnight of today's WITA date: a deadline before it is `overdue` in `due_status` (which
    compares WITA dates), the same cut as dashboard.queries.start_of_today."""
    return datetime.combine(utcnow().astimezone(WITA).date(), time.min, tzinfo=WITA)


def list_reports(user: User, filters: ReportFilters) -> list[ProgressReport]:
    """The reports `user` may see, narrowed by `filters`, the earliest due first."""
    return list(db.session.scalars(_filtered(user, filters)).unique())


def reports_page(user: User, filters: ReportFilters, number: int) -> ListPage[ListedReport]:
    """Page `number` of `list_reports`, its reports as `ListedReport`s (the columns the list
    shows), read alone from the database with the whole total (the "overdue only" filter
    included: a deadline before today's WITA date, in SQL)."""
    return read_page(_listed(_narrowed(user, filters)), number)


@dataclass(frozen=True, slots=True)
class ListedReportPlan:
    """What a row of the reports list shows of the report's plan (ActionPlan's names)."""

    id: int
    title: str
    region: ListedRegion
    period_start: int
    period_end: int

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"


@dataclass(frozen=True, slots=True)
class ListedReport:
    """The columns of a report the reports list shows (ProgressReport's names: the state badge
    reads the workflow's name and version, `due_statuses` the id and the deadline)."""

    id: int
    year: int
    quarter: int
    plan: ListedReportPlan
    workflow_name: str
    workflow_version: int
    state: str
    due_at: datetime | None
    submitted_at: datetime | None

    @property
    def period_label(self) -> str:
        return Quarter(self.year, self.quarter).label


class _ListedReports(Bundle[Any]):
    """The columns of `_LISTED` below, each result row made a `ListedReport`."""

    def create_row_processor(self, query: Any, procs: Any, labels: Any) -> Any:
        def make(row: Any) -> ListedReport:
            id_, year, quarter, plan_id, title, name, code, start, end, *rest = (
                proc(row) for proc in procs
            )
            plan = ListedReportPlan(plan_id, title, ListedRegion(name, code), start, end)
            return ListedReport(id_, year, quarter, plan, *rest)

        return make


# Built once, as `_ROW_COLUMNS`; the plan aliased too, so that the filters' subqueries of
# ActionPlan and Region (the district, the plans visible) never correlate with the row's.
_LIST_PLAN, _LIST_REGION = aliased(ActionPlan), aliased(Region)
_LISTED = _ListedReports(
    "report",
    ProgressReport.id,
    ProgressReport.year,
    ProgressReport.quarter,
    _LIST_PLAN.id,
    _LIST_PLAN.title,
    _LIST_REGION.name,
    _LIST_REGION.code,
    _LIST_PLAN.period_start,
    _LIST_PLAN.period_end,
    ProgressReport.workflow_name,
    ProgressReport.workflow_version,
    ProgressReport.state,
    ProgressReport.due_at,
    ProgressReport.submitted_at,
)


def _listed(query: Select[tuple[ProgressReport]]) -> Select[tuple[ListedReport]]:
    """`query` (`_narrowed`'s) selecting `ListedReport`s in the list's order (`_in_order`'s):
    a report with its plan, region and province were four ORM objects per row, for the
    handful of columns shown."""
    query = (
        query.with_only_columns(_LISTED)
        .select_from(ProgressReport)
        .join(_LIST_PLAN, _LIST_PLAN.id == ProgressReport.plan_id)
        .join(_LIST_REGION, _LIST_PLAN.region_id == _LIST_REGION.id)
    )
    return _earliest_due_first(query)


def reports_for_export(user: User, filters: ReportFilters) -> list[ProgressReport]:
    """As `list_reports`, with every report's lines, activities and indicator values loaded
    in a fixed number of statements."""
    query = _filtered(user, filters).options(
        selectinload(ProgressReport.lines).joinedload(ReportLine.activity),
        selectinload(ProgressReport.indicator_values),
        joinedload(ProgressReport.plan).selectinload(ActionPlan.indicators),
    )
    return list(db.session.scalars(query).unique())


def report_years(user: User) -> list[int]:
    query = visible_reports(user).with_only_columns(ProgressReport.year).distinct()
    return sorted(db.session.scalars(query), reverse=True)


def report_regions(user: User) -> list[Region]:
    """The districts that have at least one report the user may see (the district filter)."""
    plan_ids = visible_reports(user).with_only_columns(ProgressReport.plan_id)
    region_ids = select(ActionPlan.region_id).where(ActionPlan.id.in_(plan_ids))
    return list(
        db.session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.code))
    )


def only_overdue(
    reports: list[ProgressReport], dues: Mapping[int, DueStatus]
) -> list[ProgressReport]:
    """The reports past their due day (`dues`: by report id, from `due_statuses`)."""
    return [r for r in reports if r.id in dues and dues[r.id].status == "overdue"]


@dataclass(frozen=True)
class ReportTask:
    """A report waiting for the user, with the actions the user may take on it now."""

    report: ProgressReport
    actions: list[TransitionDef]


def report_tasks(user: User) -> list[ReportTask]:
    """Every report waiting for the user's action (see `report_task_page`)."""
    return report_task_page(user, limit=None).items


def report_task_page(user: User, limit: int | None = TASKS_SHOWN) -> Page[ReportTask]:
    """Reports in a state the user owns (in the plan's scope) on which the user can act now,
    the earliest due first, read in batches until `limit` are found."""
    return task_page(user, REPORT_KIND_NAME, limit, ReportTask, _in_order)


@dataclass(frozen=True, slots=True)
class ReportPlan:
    """What a report row shows of its plan, and what the report's scope needs."""

    id: int
    title: str
    region: RowRegion


@dataclass(frozen=True, slots=True)
class ReportRow:
    """The columns of a report "My tasks" and the policy read (ProgressReport's names)."""

    id: int
    year: int
    quarter: int
    plan: ReportPlan
    workflow_name: str
    workflow_version: int
    state: str
    due_at: datetime | None
    version: int
    # subjects.kind_of finds a case's kind by this name before its Python type: the policy
    # answers for a row as for the report it is (its scope: the plan's region).
    declared_kind: str = REPORT_KIND_NAME

    @property
    def plan_id(self) -> int:
        return self.plan.id

    @property
    def period_label(self) -> str:
        return Quarter(self.year, self.quarter).label


def _report_row(values: Sequence[Any]) -> ReportRow:
    """A `ReportRow` of the values of `_ROW_COLUMNS`, in their order."""
    (id_, year, quarter, plan_id, title, name, code, parent, *rest) = values
    flow, flow_v, state, due, version = rest
    place = RowRegion(name, code, code if parent is None else parent)
    plan = ReportPlan(plan_id, title, place)
    return ReportRow(id_, year, quarter, plan, flow, flow_v, state, due, version)


class _ReportRows(Bundle[Any]):
    """The columns below, each result row made a `ReportRow` (read through the ORM)."""

    def create_row_processor(self, query: Any, procs: Any, labels: Any) -> Any:
        def make(row: Any) -> ReportRow:
            return _report_row([proc(row) for proc in procs])

        return make


# Built once: an alias or bundle made per request costs more than the ORM objects it saves.
_REGION, _PROVINCE = aliased(Region), aliased(Region)
_ROW_COLUMNS = _ReportRows(
    "report",
    ProgressReport.id,
    ProgressReport.year,
    ProgressReport.quarter,
    ActionPlan.id,
    ActionPlan.title,
    _REGION.name,
    _REGION.code,
    _PROVINCE.code,
    ProgressReport.workflow_name,
    ProgressReport.workflow_version,
    ProgressReport.state,
    ProgressReport.due_at,
    ProgressReport.version,
)


def _report_rows(query: Select[Any]) -> Select[Any]:
    """`query` (of ProgressReport) selecting `ReportRow`s, in the task list's order (the same
    as `_in_order`'s)."""
    query = (
        query.with_only_columns(_ROW_COLUMNS)
        .select_from(ProgressReport)
        .join(ActionPlan, ActionPlan.id == ProgressReport.plan_id)
        .join(_REGION, ActionPlan.region_id == _REGION.id)
        .outerjoin(_PROVINCE, _REGION.parent_id == _PROVINCE.id)
    )
    return _earliest_due_first(query)


def _rows_in_regions(query: Select[Any], regions: set[str]) -> Select[Any]:
    return query.where(_REGION.code.in_(regions))  # joined by `_report_rows`


def my_report_rows(user: User, limit: int | None = TASKS_SHOWN) -> Page[ReportTask]:
    """`report_task_page` for "My tasks": the same tasks, in the same order and count, their
    reports as `ReportRow`s (one statement of the columns shown: a report with its plan,
    region and province were four ORM objects per row, most of the list's cost). The API and
    the feeds keep `report_task_page`."""
    return row_task_page(
        user, REPORT_KIND_NAME, limit, ReportTask, _report_rows, _report_row, _place_of_report
    )


def _place_of_report(row: ReportRow) -> RowRegion:
    return row.plan.region


def _in_regions(
    query: Select[tuple[ProgressReport]], regions: set[str]
) -> Select[tuple[ProgressReport]]:
    return (
        query.join(ActionPlan, ActionPlan.id == ProgressReport.plan_id)
        .join(Region, Region.id == ActionPlan.region_id)
        .where(Region.code.in_(regions))
    )


def overseen_reports(user: User) -> list[ProgressReport]:
    """For a holder of an overseeing role (the district head): the reports of its region not
    yet verified, the earliest due first, so a late quarter shows on the head's first screen
    as late plans do."""
    return overseen_cases(user, REPORT_KIND_NAME, _in_regions, _in_order)


def overseen_reports_as_rows(user: User) -> list[ReportRow]:
    """`overseen_reports` for "My tasks": the same reports in the same order, as `ReportRow`s
    (a district head's list holds every report of the district not yet verified: four ORM
    objects per row were most of the page's cost)."""
    return overseen_cases(user, REPORT_KIND_NAME, _rows_in_regions, _report_rows, _report_row)
