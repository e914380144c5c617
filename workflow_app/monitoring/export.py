"""Progress reports as spreadsheet tables: one row per report line (activity), and in XLSX a
second sheet with the indicator values against the year's targets.

Headers and labels are Indonesian whatever the reader's language, like the plan export: the
file is a document that travels between offices.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import force_locale

from ..plans.vocabulary import SUB_SECTORS, is_percent_unit
from ..spreadsheets.tabular import Cell, Format, Sheet, percent_cell, percent_if, rupiah_cell
from ..workflows import definition_of
from .models import ProgressReport

LINE_HEADERS = [
    "Kabupaten/Kota",
    "Kode",
    "Rencana aksi",
    "Triwulan",
    "Status laporan",
    "Kegiatan",
    "Sub-sektor",
    "Anggaran tahun berjalan (Rp)",
    "Realisasi keuangan (Rp)",
    "% anggaran",
    "Progres fisik (%)",
    "Output tercapai",
    "Volume",
    "Satuan",
    "Kendala",
    "Tindak lanjut",
]
INDICATOR_HEADERS = [
    "Kabupaten/Kota",
    "Kode",
    "Rencana aksi",
    "Triwulan",
    "Status laporan",
    "Indikator",
    "Satuan",
    "Target tahun berjalan",
    "Capaian",
]


def _state(report: ProgressReport) -> str:
    return definition_of(report).states[report.state].label.get("id")


def _sub_sector(code: str) -> str:
    with force_locale("id"):
        return str(SUB_SECTORS.get(code, code))


def _report_cells(report: ProgressReport) -> list[Cell]:
    plan = report.plan
    return [plan.region.name, plan.region.code, plan.title, report.period_label, _state(report)]


def lines_sheet(reports: Sequence[ProgressReport]) -> Sheet:
    sheet = Sheet("Realisasi kegiatan", LINE_HEADERS)
    for report in reports:
        head = _report_cells(report)
        for line in report.lines:
            activity = line.activity
            sheet.rows.append(
                [
                    *head,
                    activity.title,
                    _sub_sector(activity.sub_sector),
                    rupiah_cell(line.budget),
                    rupiah_cell(line.spent),
                    percent_cell(line.spent_percent),
                    percent_cell(line.physical_progress),
                    line.output_achieved,
                    activity.volume,
                    activity.unit or None,
                    line.obstacles or None,
                    line.follow_up or None,
                ]
            )
    return sheet


def indicators_sheet(reports: Sequence[ProgressReport]) -> Sheet:
    sheet = Sheet("Capaian indikator", INDICATOR_HEADERS)
    for report in reports:
        head = _report_cells(report)
        values = {v.indicator_id: v.value for v in report.indicator_values}
        for indicator in report.plan.indicators:
            percent = is_percent_unit(indicator.unit)
            sheet.rows.append(
                [
                    *head,
                    indicator.name,
                    indicator.unit or None,
                    percent_if(percent, indicator.target_for(report.year)),
                    percent_if(percent, values.get(indicator.id)),
                ]
            )
    return sheet


def report_sheets(reports: Sequence[ProgressReport], fmt: Format) -> list[Sheet]:
    """CSV holds one table: the lines. XLSX adds the indicator values."""
    if fmt == "csv":
        return [lines_sheet(reports)]
    return [lines_sheet(reports), indicators_sheet(reports)]


def filename_stem(
    *, year: int | None = None, quarter: int | None = None, district: str | None = None
) -> str:
    parts = ["laporan-triwulan"]
    if year:
        parts.append(str(year))
    if quarter:
        parts.append(f"tw{quarter}")
    if district:
        parts.append(district)
    return "-".join(parts)


def report_filename_stem(report: ProgressReport) -> str:
    return filename_stem(
        year=report.year, quarter=report.quarter, district=report.plan.region.code
    ) + (f"-{report.id}")
