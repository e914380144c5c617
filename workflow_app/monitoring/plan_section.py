"""The "Realisation / Progress" section of a plan's page: its reports, and its realisation per
year against its targets as charts with their numbers beside them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import literal, null, select, union_all
from sqlalchemy.orm import lazyload

from ..deadlines.display import DueStatus, due_statuses
from ..extensions import db
from ..plans.models import ActionPlan
from ..templating import number, page_language, row_link, rupiah, state_badge, wita_datetime
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
    rows: Markup  # its table's body rows (_point_rows)


@dataclass(frozen=True)
class RealisationSection:
    reports: list[ProgressReport]  # newest quarter first
    dues: dict[int, DueStatus]  # by report id
    realisation: Realisation
    progress_chart: Markup
    indicator_charts: list[IndicatorChart]
    # The body rows of the reports' and the years' tables (_report_rows, _year_rows).
    report_rows: Markup
    year_rows: Markup


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
    newest_first, dues = list(reversed(reports)), due_statuses(reports)
    return RealisationSection(
        reports=newest_first,
        dues=dues,
        realisation=realisation,
        progress_chart=_progress_chart(plan, realisation),
        indicator_charts=[
            IndicatorChart(i, _indicator_chart(i), _point_rows(i)) for i in realisation.indicators
        ],
        report_rows=_report_rows(newest_first, dues),
        year_rows=_year_rows(realisation),
    )


# The tables' rows written here, as templates/monitoring/_plan_realisation.html's loops wrote
# them (tests/db/test_page4_realisation.py keeps them equal): each row cost a dozen template
# calls (url_for, the badge macro, filters), the rows of a monitored plan ~100.
_DASH = '<span class="muted">—</span>'


def _shown(value: Any, write: Callable[[Any], object]) -> str:
    """`write(value)` escaped, or the dash of a missing value."""
    return _DASH if value is None else str(escape(write(value)))


def _percent(value: Any) -> str:
    return f"{number(value)}%"


def _report_rows(reports: list[ProgressReport], dues: dict[int, DueStatus]) -> Markup:
    status_label, due_label, language = _("Status"), _("Due"), page_language()
    link = row_link("monitoring.report", "report_id")
    rows = []
    for report in reports:
        due = dues.get(report.id)
        overdue = ' class="overdue" data-overdue="1"' if due and due.status == "overdue" else ""
        due_cell = (
            f'<span class="due due-{escape(due.status)}" data-working-days="'
            f'{escape(due.signed_days)}"><time datetime="{escape(due.due_at_wita.isoformat())}">'
            f"{escape(wita_datetime(due.due_at, language))}</time> "
            f'<strong class="due-left">{escape(due.text_in(language))}</strong></span>'
            if due
            else _DASH
        )
        rows.append(
            f'\n      <tr id="plan-report-{escape(report.id)}"{overdue}>\n'
            f'        <td class="card-title"><a href="{escape(link(report.id))}">'
            f"{escape(report.period_label)}</a></td>\n"
            f'        <td data-label="{status_label}">{state_badge(report, language)}</td>\n'
            f'        <td data-label="{due_label}">{due_cell}</td>\n      </tr>\n      '
        )
    return Markup("".join(rows))


def _year_rows(realisation: Realisation) -> Markup:
    rows = []
    for row in realisation.years:
        year, spent, share, physical = (
            escape(row.year),
            row.spent,
            row.spent_percent,
            row.physical_progress,
        )
        rows.append(
            f'\n          <tr id="realisation-{year}" data-year="{year}">\n'
            f'            <th scope="row">{year}</th>\n'
            f"            <td>{_shown(row.reported_in, lambda quarter: quarter.label)}</td>\n"
            f'            <td class="num year-budget" data-amount="{escape(row.budget)}">'
            f"{escape(rupiah(row.budget))}</td>\n"
            '            <td class="num year-spent" data-amount="'
            f'{"" if spent is None else escape(spent)}">{_shown(spent, rupiah)}</td>\n'
            '            <td class="num year-spent-percent" data-percent="'
            f'{"" if share is None else escape(share)}">{_shown(share, _percent)}</td>\n'
            '            <td class="num year-physical" data-percent="'
            f'{"" if physical is None else escape(physical)}">{_shown(physical, _percent)}'
            "</td>\n          </tr>\n          "
        )
    return Markup("".join(rows))


def _point_rows(indicator: IndicatorRealisation) -> Markup:
    rows = [
        f'\n          <tr data-year="{escape(point.year)}">\n'
        f'            <th scope="row">{escape(point.year)}</th>\n'
        f'            <td class="num indicator-target">{_shown(point.target, number)}</td>\n'
        f'            <td class="num indicator-achieved">{_shown(point.achieved, number)}'
        "</td>\n          </tr>\n          "
        for point in indicator.points
    ]
    return Markup("".join(rows))
