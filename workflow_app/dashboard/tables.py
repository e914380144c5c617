"""The dashboard's tables as spreadsheet sheets (the export), built from the same `Dashboard`
the page shows, so the file and the page always carry the same numbers."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from ..monitoring.quarters import ROMAN
from ..plans.vocabulary import FUNDING_SOURCES, is_percent_unit
from ..spreadsheets.tabular import Cell, Sheet, percent_cell, percent_if, rupiah_cell
from .queries import NATIONAL_TARGET, NATIONAL_TARGET_YEAR, Dashboard

# The `table=` values of the CSV export, in page order.
TABLES = ("plans_by_state", "overdue", "realisation", "trajectories", "funding")


def plans_by_state_sheet(data: Dashboard, states: Sequence[tuple[str, str]]) -> Sheet:
    headers = [_("Code"), _("District"), *(label for _n, label in states), _("Total")]
    rows: list[Sequence[Cell]] = [
        [
            region.code,
            region.name,
            *(data.plan_count(region.code, name) for name, _l in states),
            data.plan_count(region.code),
        ]
        for region in data.districts
    ]
    return Sheet(_("Plans by status"), headers, rows)


def overdue_sheet(data: Dashboard) -> Sheet:
    headers = [
        _("Code"),
        _("District"),
        _("Plans overdue"),
        _("Longest plan delay (working days)"),
        _("Reports overdue"),
        _("Longest report delay (working days)"),
    ]
    rows: list[Sequence[Cell]] = []
    for region in data.districts:
        late = data.overdue.get(region.code)
        if late is None:
            rows.append([region.code, region.name, 0, 0, 0, 0])
        else:
            rows.append(
                [
                    region.code,
                    region.name,
                    late.plans,
                    late.plans_days,
                    late.reports,
                    late.reports_days,
                ]
            )
    return Sheet(_("Overdue"), headers, rows)


def realisation_sheet(data: Dashboard) -> Sheet:
    headers = [
        _("Code"),
        _("District"),
        _("Year"),
        _("Quarter"),
        _("Budget (Rp)"),
        _("Spent (Rp)"),
        _("Physical progress (%)"),
        _("Financial realisation (%)"),
    ]
    rows: list[Sequence[Cell]] = [
        [
            region.code,
            region.name,
            data.filters.year,
            f"TW {ROMAN[item.quarter]}",
            rupiah_cell(item.budget),
            rupiah_cell(item.spent),
            percent_cell(item.physical),
            percent_cell(item.financial),
        ]
        for region in data.districts
        for item in data.realisation.get(region.code, [])
    ]
    return Sheet(_("Realisation"), headers, rows)


def trajectories_sheet(data: Dashboard) -> Sheet:
    headers = [
        _("Code"),
        _("District"),
        _("Indicator"),
        _("Unit"),
        _("Year"),
        _("Baseline"),
        _("Target"),
        _("Achieved"),
        _("Achieved in quarter"),
        _("National target"),
    ]
    rows: list[Sequence[Cell]] = []
    for region in data.districts:
        trajectory = data.trajectories.get(region.code)
        if trajectory is None:
            continue
        percent = is_percent_unit(trajectory.unit)
        for year in trajectory.years:
            baseline = trajectory.baseline_value if year == trajectory.baseline_year else None
            achieved = trajectory.achieved.get(year)
            rows.append(
                [
                    region.code,
                    region.name,
                    trajectory.name,
                    trajectory.unit,
                    year,
                    percent_if(percent, baseline),
                    percent_if(percent, trajectory.targets.get(year)),
                    percent_if(percent, achieved[0] if achieved else None),
                    f"TW {ROMAN[achieved[1]]}" if achieved else None,
                    percent_cell(NATIONAL_TARGET) if year == NATIONAL_TARGET_YEAR else None,
                ]
            )
    return Sheet(_("Trajectories"), headers, rows)


def funding_sheet(data: Dashboard) -> Sheet:
    years = data.funding_years
    headers = [_("Source"), *(str(year) for year in years), _("Total")]
    rows: list[Sequence[Cell]] = [
        [
            str(FUNDING_SOURCES.get(source, source)),
            *(rupiah_cell(data.funding.get((source, year), 0)) for year in years),
            rupiah_cell(data.source_total(source)),
        ]
        for source in data.funding_sources
    ]
    if rows:
        totals = [rupiah_cell(data.year_total(year)) for year in years]
        rows.append([_("Total"), *totals, rupiah_cell(data.funding_total)])
    return Sheet(_("Funding"), headers, rows)


def dashboard_sheets(data: Dashboard, states: Sequence[tuple[str, str]]) -> dict[str, Sheet]:
    """Every table by its `table=` key, in page order."""
    return {
        "plans_by_state": plans_by_state_sheet(data, states),
        "overdue": overdue_sheet(data),
        "realisation": realisation_sheet(data),
        "trajectories": trajectories_sheet(data),
        "funding": funding_sheet(data),
    }
