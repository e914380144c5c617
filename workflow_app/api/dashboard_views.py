"""/api/v1/dashboard: the web dashboard's figures for the caller's scope as numbers, and its
export files. The same access rule (dashboard/scope.py: whoever acts in the province or
beyond, and partners; district roles get 403), the same filter (a district must be one the
caller may see) and the same queries (dashboard/queries.py, dashboard/declared.py) and sheets
(dashboard/tables.py) as /dashboard and /dashboard/export.<fmt>; nothing is cached here."""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask_babel import force_locale

from ..accounts.models import User
from ..cases.kinds import declared_kinds
from ..dashboard import scope
from ..dashboard.declared import KindFigures, declared_figures, state_columns
from ..dashboard.queries import NATIONAL_TARGET, NATIONAL_TARGET_YEAR, Dashboard, Filters, build
from ..dashboard.tables import TABLES, dashboard_sheets
from ..engine import RoleNotAllowed
from ..engine.calendar import WITA
from ..models_base import utcnow
from ..plans.queries import state_options
from ..regions.models import Region
from ..spreadsheets.tabular import download
from ..workflows import roles
from . import dashboard_schemas as b
from . import schemas as s
from .auth import api_user
from .blueprint import endpoint
from .errors import ApiError
from .export_query import EXPORT_TYPES

TAG = "dashboard"
ERRORS = (400, 401, 403)


def _opened(query: b.DashboardQuery) -> tuple[User, Dashboard, list[Region], datetime]:
    """The caller's dashboard for `query` (403 for whom the web refuses it, 400 for a
    district the caller may not see, as the web's choice list offers none such)."""
    user = api_user()
    if not scope.may_open(user):
        raise RoleNotAllowed(
            "the dashboard is for roles acting in the province or beyond, and partners"
        )
    now = utcnow()
    regions = scope.districts_of(user)
    if query.district is not None and query.district not in {r.code for r in regions}:
        choices = ", ".join(r.code for r in regions)
        raise ApiError(
            400,
            "validation_error",
            "the request is not valid",
            fields={"district": [f"not a district you may see: one of {choices}"]},
        )
    filters = Filters(
        year=query.year or now.astimezone(WITA).year,
        region_code=query.district,
        sub_sector=query.sub_sector,
    )
    return user, build(user, filters, now, regions), regions, now


def _labels(
    pairs_id: list[tuple[str, str]], pairs_en: list[tuple[str, str]]
) -> list[b.StateColumn]:
    english = dict(pairs_en)
    return [
        b.StateColumn(name=name, label=s.Label(id=label, en=english.get(name, label)))
        for name, label in pairs_id
    ]


def _region(region: Region) -> s.RegionRef:
    return s.RegionRef(code=region.code, name=region.name)


def _declared(kind: KindFigures, english: list[tuple[str, str]]) -> b.DeclaredKind:
    return b.DeclaredKind(
        kind=kind.name,
        label=s.Label(id=kind.label.id, en=kind.label.en),
        states=_labels(kind.states, english),
        regions=[_region(r) for r in kind.regions],
        counts=[
            b.DeclaredCount(region=code, state=state, count=n)
            for (code, state), n in sorted(kind.counts.items())
        ],
        total=kind.total,
        overdue=[
            b.OverdueCase(
                id=item.case.id,
                title=item.case.title,
                region=item.case.region.code,
                state=item.case.state,
                due_at=item.case.due_at,
                working_days=item.due.working_days,
            )
            for item in kind.overdue
        ],
        overdue_total=kind.overdue_total,
    )


def _declared_sections(user: User, data: Dashboard, now: datetime) -> list[b.DeclaredKind]:
    sections = declared_figures(user, data.filters, now, data.districts, "id")
    kinds = {kind.name: kind for kind in declared_kinds()}
    return [
        _declared(k, state_columns(kinds[k.name], {st for _c, st in k.counts}, "en"))
        for k in sections
    ]


def _body(user: User, data: Dashboard, now: datetime) -> b.Dashboard:
    codes = [region.code for region in data.districts]
    return b.Dashboard(
        filters=b.Filters(
            year=data.filters.year,
            district=data.filters.region_code,
            sub_sector=data.filters.sub_sector,
        ),
        partner_only=all(roles().published_only(g.role) for g in user.grants()),
        districts=[_region(r) for r in data.districts],
        states=_labels(state_options("id"), state_options("en")),
        plans_by_state=[
            b.PlansByState(
                region=code,
                counts={st: n for (c, st), n in sorted(data.plans_by_state.items()) if c == code},
                total=data.plan_count(code),
            )
            for code in codes
        ],
        state_totals={st: data.state_total(st) for st in sorted(data.present_states)},
        plans_total=data.plans_total,
        overdue=[_overdue(data, code) for code in codes],
        realisation=[
            b.RealisationRow(
                region=code,
                year=data.filters.year,
                quarter=item.quarter,
                budget=item.budget,
                spent=item.spent,
                physical=item.physical,
                financial=item.financial,
            )
            for code in codes
            for item in data.realisation.get(code, [])
        ],
        trajectories=[_trajectory(data, code) for code in codes if code in data.trajectories],
        funding=b.Funding(
            sources=data.funding_sources,
            years=data.funding_years,
            amounts=[
                b.FundingAmount(source=source, year=year, amount=amount)
                for (source, year), amount in sorted(data.funding.items())
            ],
            total=data.funding_total,
        ),
        national_target=b.NationalTarget(value=NATIONAL_TARGET, year=NATIONAL_TARGET_YEAR),
        declared=_declared_sections(user, data, now),
    )


def _overdue(data: Dashboard, code: str) -> b.OverdueRow:
    late = data.overdue.get(code)
    if late is None:
        return b.OverdueRow(region=code, plans=0, plans_days=0, reports=0, reports_days=0)
    return b.OverdueRow(
        region=code,
        plans=late.plans,
        plans_days=late.plans_days,
        reports=late.reports,
        reports_days=late.reports_days,
    )


def _trajectory(data: Dashboard, code: str) -> b.Trajectory:
    found = data.trajectories[code]
    return b.Trajectory(
        region=code,
        plan=b.TrajectoryPlan(id=found.plan.id, title=found.plan.title, state=found.plan.state),
        indicator_id=found.indicator_id,
        name=found.name,
        unit=found.unit,
        baseline_year=found.baseline_year,
        baseline_value=found.baseline_value,
        targets=[b.YearValue(year=y, value=v) for y, v in sorted(found.targets.items())],
        achieved=[
            b.Achieved(year=y, value=v, quarter=q) for y, (v, q) in sorted(found.achieved.items())
        ],
    )


@endpoint(
    "GET",
    "/dashboard",
    summary=(
        "The dashboard's figures for the caller's scope, as the web's /dashboard shows them: "
        "plans by state, overdue plans and reports, realisation per quarter, the safe "
        "sanitation trajectories, funding, and every kind declared as data."
    ),
    tag=TAG,
    query=b.DashboardQuery,
    response=b.Dashboard,
    errors=ERRORS,
)
def dashboard(query: b.DashboardQuery) -> b.Dashboard:
    user, data, _regions, now = _opened(query)
    return _body(user, data, now)


@endpoint(
    "GET",
    "/dashboard/export",
    summary=(
        "The dashboard's tables as the web exports them: XLSX (every table) or CSV (the one "
        "named by table=)."
    ),
    tag=TAG,
    query=b.DashboardExportQuery,
    response=None,
    files=EXPORT_TYPES,
    errors=ERRORS,
)
def export_dashboard(query: b.DashboardExportQuery) -> Response:
    _user, data, _regions, _now = _opened(query)
    if query.format == "csv" and query.table is None:
        raise ApiError(
            400,
            "validation_error",
            "a CSV file holds one table",
            fields={"table": [f"required with format=csv: one of {', '.join(TABLES)}"]},
        )
    stem = f"dasbor-{data.filters.year}"
    if data.filters.region_code:
        stem += f"-{data.filters.region_code}"
    with force_locale(query.language):
        sheets = dashboard_sheets(data, state_options(query.language))
        chosen = list(sheets.values())
        if query.format == "csv" and query.table is not None:
            chosen = [sheets[query.table]]
            stem += f"-{query.table}"
        return download(chosen, query.format, stem, query.dialect)
