"""A plan's realisation over time against its targets, year by year.

Each year is judged by its latest report (figures are cumulative within the year): money spent
against the plan's budget for that year, physical progress averaged over the activities
weighted by their budgets, and every indicator's latest achieved value against the year's
target. The computing half takes plain figures and is pure; `plan_realisation` reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..plans.models import ActionPlan
from .models import ProgressReport
from .quarters import Quarter

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class LineFigures:
    budget: int
    spent: int | None
    physical_progress: Decimal | None


@dataclass(frozen=True)
class ReportFigures:
    quarter: Quarter
    lines: Sequence[LineFigures]
    indicator_values: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorTargets:
    id: int
    name: str
    unit: str
    targets: Mapping[int, Decimal]  # year -> target


@dataclass(frozen=True)
class YearRealisation:
    year: int
    reported_in: Quarter | None  # the latest report of the year, None: no report yet
    budget: int
    spent: int | None
    physical_progress: Decimal | None

    @property
    def spent_percent(self) -> Decimal | None:
        return percent(self.spent, self.budget)


@dataclass(frozen=True)
class IndicatorPoint:
    year: int
    target: Decimal | None
    achieved: Decimal | None


@dataclass(frozen=True)
class IndicatorRealisation:
    id: int
    name: str
    unit: str
    points: list[IndicatorPoint]


@dataclass(frozen=True)
class Realisation:
    years: list[YearRealisation]
    indicators: list[IndicatorRealisation]


def percent(part: int | None, whole: int) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def total_spent(lines: Iterable[LineFigures]) -> int | None:
    """The sum of the money reported spent; None when no line reports any."""
    amounts = [line.spent for line in lines if line.spent is not None]
    return sum(amounts) if amounts else None


def weighted_progress(lines: Iterable[LineFigures]) -> Decimal | None:
    """Physical progress of the lines that report one, weighted by their budgets; the plain
    average when none of them has a budget; None when no line reports progress."""
    reported = [line for line in lines if line.physical_progress is not None]
    if not reported:
        return None
    weight = sum(line.budget for line in reported)
    if weight:
        total = sum(line.physical_progress * line.budget for line in reported)  # type: ignore[operator]
        average = Decimal(total) / weight
    else:
        average = sum(line.physical_progress for line in reported) / len(reported)  # type: ignore[misc]
    return Decimal(average).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def latest_per_year(reports: Iterable[ReportFigures]) -> dict[int, ReportFigures]:
    latest: dict[int, ReportFigures] = {}
    for report in reports:
        year = report.quarter.year
        if year not in latest or latest[year].quarter < report.quarter:
            latest[year] = report
    return latest


def realisation(
    years: Sequence[int],
    budgets: Mapping[int, int],
    reports: Sequence[ReportFigures],
    indicators: Sequence[IndicatorTargets],
) -> Realisation:
    """The realisation of every year in `years` (the plan's, up to its latest report)."""
    latest = latest_per_year(reports)
    rows = []
    for year in years:
        report = latest.get(year)
        rows.append(
            YearRealisation(
                year=year,
                reported_in=report.quarter if report else None,
                budget=budgets.get(year, 0),
                spent=total_spent(report.lines) if report else None,
                physical_progress=weighted_progress(report.lines) if report else None,
            )
        )
    ordered = sorted(reports, key=lambda r: r.quarter)
    series = []
    for indicator in indicators:
        achieved: dict[int, Decimal] = {}
        for report in ordered:  # a later report's value replaces an earlier one of its year
            if indicator.id in report.indicator_values:
                achieved[report.quarter.year] = report.indicator_values[indicator.id]
        points = [
            IndicatorPoint(year, indicator.targets.get(year), achieved.get(year)) for year in years
        ]
        series.append(IndicatorRealisation(indicator.id, indicator.name, indicator.unit, points))
    return Realisation(years=rows, indicators=series)


# --- reading the figures --------------------------------------------------------------------


def plan_reports(plan: ActionPlan) -> list[ProgressReport]:
    """The plan's reports, oldest quarter first, with their lines and values loaded."""
    query = (
        select(ProgressReport)
        .where(ProgressReport.plan_id == plan.id)
        .options(
            selectinload(ProgressReport.lines),
            selectinload(ProgressReport.indicator_values),
        )
        .order_by(ProgressReport.year, ProgressReport.quarter)
    )
    return list(db.session.scalars(query).unique())


def figures_of(report: ProgressReport) -> ReportFigures:
    return ReportFigures(
        quarter=report.period,
        lines=[
            LineFigures(line.budget, line.spent, line.physical_progress) for line in report.lines
        ],
        indicator_values={v.indicator_id: v.value for v in report.indicator_values},
    )


def plan_budgets(plan: ActionPlan) -> dict[int, int]:
    """The plan's money per year, every activity and source together."""
    budgets: dict[int, int] = {}
    for activity in plan.activities:
        for funding in activity.funding:
            budgets[funding.year] = budgets.get(funding.year, 0) + funding.amount
    return budgets


def plan_realisation(plan: ActionPlan, reports: Sequence[ProgressReport]) -> Realisation:
    """The years of the plan's period up to its latest report."""
    return realisation_of_figures(plan, [figures_of(report) for report in reports])


def realisation_of_figures(plan: ActionPlan, figures: Sequence[ReportFigures]) -> Realisation:
    """plan_realisation from its reports' figures (at least one), however they were read."""
    last = max(report.quarter.year for report in figures)
    years = [year for year in plan.years if year <= last]
    indicators = [
        IndicatorTargets(
            id=indicator.id,
            name=indicator.name,
            unit=indicator.unit,
            targets={target.year: target.value for target in indicator.targets},
        )
        for indicator in plan.indicators
    ]
    return realisation(years, plan_budgets(plan), figures, indicators)
