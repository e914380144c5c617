"""The "Realisation / Progress" section of a plan's page: its reports, and its realisation per
year against its targets as charts with their numbers beside them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup
from sqlalchemy import literal, null, select, union_all
from sqlalchemy.orm import lazyload

from ..deadlines.display import DueStatus, due_statuses
from ..extensions import db
from ..plans.models import ActionPlan
from ..templating import number
from ..templating import page_gettext as _
from .chart import indicator_svg, progress_svg
from .models import ProgressReport, ReportIndicatorValue, ReportLine
from .realisation import (
    IndicatorRealisation,
    LineFigures,
    Realisation,
    ReportFigures,
    realisation_of_figures,
)


@dataclass(frozen=True)
class IndicatorChart:
    indicator: IndicatorRealisation
    svg: Markup


@dataclass(frozen=True)
class RealisationSection:
    reports: list[ProgressReport]  # newest quarter first
    dues: dict[int, DueStatus]  # by report id
    realisation: Realisation
    progress_chart: Markup
    indicator_charts: list[IndicatorChart]


def _percent_text(value: object) -> str:
    return f"{number(value)}%" if value is not None else "—"  # type: ignore[arg-type]


def _progress_chart(plan: ActionPlan, realisation: Realisation) -> Markup:
    rows = [(r.year, r.spent_percent, r.physical_progress) for r in realisation.years]
    tips = {}
    for row in realisation.years:
        tips[(row.year, "financial")] = _(
            "%(year)s: money spent %(percent)s of the budget",
            year=row.year,
            percent=_percent_text(row.spent_percent),
        )
        tips[(row.year, "physical")] = _(
            "%(year)s: physical progress %(percent)s",
            year=row.year,
            percent=_percent_text(row.physical_progress),
        )
    svg = progress_svg(
        rows,
        title=_("%(plan)s: financial and physical realisation per year", plan=plan.title),
        financial_label=_("Money spent (share of budget, %)"),
        physical_label=_("Physical progress (%)"),
        value_text=tips,
    )
    # Safe: progress_svg escapes every text it writes (the plan title included).
    return Markup(svg)


def _indicator_chart(indicator: IndicatorRealisation) -> Markup:
    points = [(p.year, p.target, p.achieved) for p in indicator.points]
    tips = {}
    for p in indicator.points:
        if p.target is not None:
            tips[(p.year, "target")] = _(
                "%(year)s: target %(value)s", year=p.year, value=number(p.target)
            )
        if p.achieved is not None:
            tips[(p.year, "achieved")] = _(
                "%(year)s: achieved %(value)s", year=p.year, value=number(p.achieved)
            )
    svg = indicator_svg(
        points,
        title=_("%(indicator)s: achieved against the target per year", indicator=indicator.name),
        target_label=_("Target"),
        achieved_label=_("Achieved"),
        value_text=tips,
    )
    return Markup(svg)  # safe: indicator_svg escapes the indicator's name


def _reports(plan: ActionPlan) -> list[ProgressReport]:
    """The plan's reports, oldest quarter first, without their lines and values (`_figures`
    reads those as plain rows) or their plan (the page's row, lazyload finds it by key)."""
    query = (
        select(ProgressReport)
        .where(ProgressReport.plan_id == plan.id)
        .options(lazyload(ProgressReport.plan))
        .order_by(ProgressReport.year, ProgressReport.quarter)
    )
    return list(db.session.scalars(query))


_LINE, _VALUE = 0, 1


def _figures(reports: list[ProgressReport]) -> list[ReportFigures]:
    """realisation.figures_of of each report, its lines and indicator values read together as
    plain rows in one statement: the section needs only their numbers, and ORM objects for
    them (two statements, ~20 rows a plan) cost ~1 ms of CPU more."""
    ids = [report.id for report in reports]
    lines = select(
        literal(_LINE),
        ReportLine.report_id,
        ReportLine.budget,
        ReportLine.spent,
        ReportLine.physical_progress,
    ).where(ReportLine.report_id.in_(ids))
    values = select(
        literal(_VALUE),
        ReportIndicatorValue.report_id,
        ReportIndicatorValue.indicator_id,
        null(),
        ReportIndicatorValue.value,
    ).where(ReportIndicatorValue.report_id.in_(ids))
    found: dict[int, tuple[list[LineFigures], dict[int, Decimal]]] = {i: ([], {}) for i in ids}
    for kind, report_id, first, spent, decimal in db.session.execute(union_all(lines, values)):
        held = found[report_id]
        if kind == _LINE:
            held[0].append(LineFigures(first, spent, decimal))
        else:
            held[1][first] = decimal
    return [
        ReportFigures(report.period, found[report.id][0], found[report.id][1]) for report in reports
    ]


def realisation_section(plan: ActionPlan) -> RealisationSection | None:
    """None for a plan without reports (the section is then left out). Expects the plan's
    contents loaded (plans.detail_page.load_page_contents)."""
    reports = _reports(plan)
    if not reports:
        return None
    realisation = realisation_of_figures(plan, _figures(reports))
    return RealisationSection(
        reports=list(reversed(reports)),
        dues=due_statuses(reports),
        realisation=realisation,
        progress_chart=_progress_chart(plan, realisation),
        indicator_charts=[IndicatorChart(i, _indicator_chart(i)) for i in realisation.indicators],
    )
