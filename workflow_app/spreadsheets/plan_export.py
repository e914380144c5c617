"""A plan as spreadsheet tables.

XLSX: the plan's facts, its challenges, its indicators, and its activities and funding in
exactly the import template's layout, so an exported plan can be imported again. CSV (one
table): one row per funding line with the activity's columns repeated.
"""

from __future__ import annotations

from datetime import datetime

from ..engine.calendar import WITA
from ..models_base import utcnow
from ..plans.models import ActionPlan, Activity, Funding
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS, is_percent_unit
from ..workflows import definition_of
from . import layout
from .tabular import Cell, Format, Sheet, percent_if, rupiah_cell


def _state_label(plan: ActionPlan) -> str:
    return definition_of(plan).states[plan.state].label.get("id")


def _wita_now() -> datetime:
    return utcnow().astimezone(WITA)


def plan_sheet(plan: ActionPlan, exported_at: datetime) -> Sheet:
    headers = ["Kabupaten/Kota", "Kode", "Periode", "Judul", "Status", "Versi", "Diekspor (WITA)"]
    row: list[Cell] = [
        plan.region.name,
        plan.region.code,
        plan.period_label,
        plan.title,
        _state_label(plan),
        plan.version,
        exported_at,
    ]
    return Sheet("Rencana", headers, [row])


def challenges_sheet(plan: ActionPlan) -> Sheet:
    rows: list[list[Cell]] = [
        [index, challenge.description] for index, challenge in enumerate(plan.challenges, 1)
    ]
    return Sheet("Permasalahan", ["No.", "Permasalahan"], rows)  # type: ignore[arg-type]


def indicators_sheet(plan: ActionPlan) -> Sheet:
    headers = ["Indikator", "Satuan", "Tahun baseline", "Nilai baseline"]
    headers += [f"Target {year}" for year in plan.years]
    rows: list[list[Cell]] = []
    for indicator in plan.indicators:
        percent = is_percent_unit(indicator.unit)
        rows.append(
            [
                indicator.name,
                indicator.unit,
                indicator.baseline_year,
                percent_if(percent, indicator.baseline_value),
                *(percent_if(percent, indicator.target_for(year)) for year in plan.years),
            ]
        )
    return Sheet("Indikator", headers, rows)  # type: ignore[arg-type]


class _Writer:
    """Writes activities and funding as the template's rows; labels are looked up once."""

    def __init__(self, plan: ActionPlan) -> None:
        self.agencies = layout.plan_agencies(plan)
        self.sub_sectors = layout.indonesian_labels(SUB_SECTORS)
        self.types = layout.indonesian_labels(ACTIVITY_TYPES)
        self.sources = layout.indonesian_labels(FUNDING_SOURCES)

    def activity(self, number: int, activity: Activity) -> list[Cell]:
        agency = activity.agency
        return [
            number,
            self.sub_sectors.get(activity.sub_sector, activity.sub_sector),
            self.types.get(activity.activity_type, activity.activity_type),
            activity.title,
            activity.location,
            activity.volume,
            activity.unit or None,
            layout.agency_label(agency, self.agencies) if agency else None,
            activity.start_year,
            activity.end_year,
        ]

    def funding(self, funding: Funding) -> list[Cell]:
        source = self.sources.get(funding.source, funding.source)
        return [funding.year, source, rupiah_cell(funding.amount)]


def activity_sheets(plan: ActionPlan) -> tuple[Sheet, Sheet]:
    """ "Kegiatan" and "Pendanaan" in the import template's layout, activities numbered 1…n."""
    writer = _Writer(plan)
    activities = Sheet(layout.ACTIVITY_SHEET, layout.ACTIVITY_HEADERS)
    funding = Sheet(layout.FUNDING_SHEET, layout.FUNDING_HEADERS)
    for number, activity in enumerate(plan.activities, 1):
        activities.rows.append(writer.activity(number, activity))
        funding.rows.extend([number, *writer.funding(row)] for row in activity.funding)
    return activities, funding


def activities_with_funding(plan: ActionPlan) -> Sheet:
    """The CSV table: one row per funding line, the activity's columns repeated; an activity
    without funding has one row with the funding columns empty."""
    writer = _Writer(plan)
    headers = [*layout.ACTIVITY_HEADERS, *layout.FUNDING_HEADERS[1:]]
    sheet = Sheet(layout.ACTIVITY_SHEET, headers)
    for number, activity in enumerate(plan.activities, 1):
        cells = writer.activity(number, activity)
        lines = [writer.funding(row) for row in activity.funding] or [[None, None, None]]
        sheet.rows.extend([*cells, *line] for line in lines)
    return sheet


def plan_sheets(plan: ActionPlan, fmt: Format) -> list[Sheet]:
    if fmt == "csv":
        return [activities_with_funding(plan)]
    return [
        plan_sheet(plan, _wita_now()),
        challenges_sheet(plan),
        indicators_sheet(plan),
        *activity_sheets(plan),
    ]


def filename_stem(plan: ActionPlan) -> str:
    return f"rencana-aksi-{plan.region.code}-{plan.period_start}-{plan.period_end}-{plan.id}"
