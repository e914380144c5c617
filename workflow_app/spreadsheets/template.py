"""The downloadable import template of a plan: empty "Kegiatan" and "Pendanaan" sheets with
dropdowns, and a "Petunjuk" sheet with how to fill them, the valid values and an example.

The example lives on the guide sheet only, so a template sent back unchanged imports nothing
by mistake.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from ..plans.models import ActionPlan
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from . import layout
from .activity_import import MAX_ACTIVITIES, MAX_FUNDING_ROWS

# openpyxl (~6 MiB) is imported by the first template made, not by every web process at start.
if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

LISTS_HEADER_ROW = 14  # the valid values start below this row of the guide sheet
AMOUNT_FORMAT = "#,##0"


@cache
def _bold() -> Font:
    from openpyxl.styles import Font

    return Font(bold=True)


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    sheet.append(list(headers))
    for index, width in enumerate(widths, start=1):
        sheet.cell(row=1, column=index).font = _bold()
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _instructions(plan: ActionPlan) -> list[str]:
    years = f"{plan.period_start}–{plan.period_end}"
    return [
        _("How to fill in this workbook"),
        _(
            "Sheet “%(sheet)s”: one row per activity. Give each activity its own number "
            "in column “%(no)s” (1, 2, 3 …).",
            sheet=layout.ACTIVITY_SHEET,
            no=layout.NO,
        ),
        _(
            "Sheet “%(sheet)s”: one row per year and funding source of an activity; column "
            "“%(no)s” names the activity's number.",
            sheet=layout.FUNDING_SHEET,
            no=layout.NO,
        ),
        _("Years must lie within the plan period %(years)s.", years=years),
        _("Funding years must lie within the activity's start and end year."),
        _("Amounts in whole Rupiah, e.g. 1500000, 1.500.000 or Rp1.500.000."),
        _("Choose sub-sectors, types, sources and agencies from the lists below."),
        _("Keep the sheet names and the headers in the first row unchanged."),
        _("Empty rows are skipped. If any row is invalid, nothing is imported."),
        _(
            "At most %(activities)d activities and %(funding)d funding rows.",
            activities=MAX_ACTIVITIES,
            funding=MAX_FUNDING_ROWS,
        ),
    ]


def _list_column(sheet: Worksheet, column: int, title: str, values: Sequence[object]) -> str:
    """Write a list of valid values; return the absolute range a dropdown refers to."""
    from openpyxl.utils import get_column_letter, quote_sheetname

    sheet.cell(row=LISTS_HEADER_ROW, column=column, value=title).font = _bold()
    for offset, value in enumerate(values, start=1):
        sheet.cell(row=LISTS_HEADER_ROW + offset, column=column, value=value)
    letter = get_column_letter(column)
    first, last = LISTS_HEADER_ROW + 1, LISTS_HEADER_ROW + max(1, len(values))
    return f"{quote_sheetname(layout.GUIDE_SHEET)}!${letter}${first}:${letter}${last}"


def _dropdown(sheet: Worksheet, source: str, cells: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    # "warning": the import also accepts codes and English labels, so Excel must not block them.
    validation = DataValidation(
        type="list", formula1=source, allow_blank=True, errorStyle="warning"
    )
    validation.add(cells)
    sheet.add_data_validation(validation)


def _guide(workbook: Workbook, plan: ActionPlan, agencies: Sequence[str]) -> dict[str, str]:
    sheet = workbook.create_sheet(layout.GUIDE_SHEET)
    sheet.column_dimensions["A"].width = 28
    for column in "BCDE":
        sheet.column_dimensions[column].width = 26
    lines = _instructions(plan)
    sheet.cell(row=1, column=1, value=f"{lines[0]} · {plan.region.name} {plan.period_label}")
    sheet.cell(row=1, column=1).font = _bold()
    for row, line in enumerate(lines[1:], start=3):
        sheet.cell(row=row, column=1, value=line)
    ranges = {
        layout.SUB_SECTOR: _list_column(
            sheet, 1, layout.SUB_SECTOR, layout.valid_labels(SUB_SECTORS)
        ),
        layout.ACTIVITY_TYPE: _list_column(
            sheet, 2, layout.ACTIVITY_TYPE, layout.valid_labels(ACTIVITY_TYPES)
        ),
        layout.SOURCE: _list_column(sheet, 3, layout.SOURCE, layout.valid_labels(FUNDING_SOURCES)),
        layout.AGENCY: _list_column(sheet, 4, layout.AGENCY, agencies),
        layout.YEAR: _list_column(sheet, 5, layout.YEAR, plan.years),
    }
    _example(sheet, plan, agencies)
    return ranges


def _example(sheet: Worksheet, plan: ActionPlan, agencies: Sequence[str]) -> None:
    """An example activity and its funding, clearly apart from the sheets that are imported."""
    longest = max(
        len(SUB_SECTORS), len(ACTIVITY_TYPES), len(FUNDING_SOURCES), len(agencies), len(plan.years)
    )
    top = LISTS_HEADER_ROW + longest + 3
    title = _(
        "Example (not imported: write your rows in the sheets “%(activities)s” and “%(funding)s”)",
        activities=layout.ACTIVITY_SHEET,
        funding=layout.FUNDING_SHEET,
    )
    sheet.cell(row=top, column=1, value=title).font = _bold()
    start = min(plan.period_start + 1, plan.period_end)
    example = [
        1,
        layout.indonesian_label(SUB_SECTORS, "wastewater"),
        layout.indonesian_label(ACTIVITY_TYPES, "lltt"),
        "Layanan Lumpur Tinja Terjadwal (LLTT)",
        "Kec. …",
        1200,
        "tangki septik/tahun",
        agencies[0] if agencies else "",
        start,
        plan.period_end,
    ]
    for column, header in enumerate(layout.ACTIVITY_HEADERS, start=1):
        sheet.cell(row=top + 1, column=column, value=header).font = _bold()
        sheet.cell(row=top + 2, column=column, value=example[column - 1])
    funding = [1, start, layout.indonesian_label(FUNDING_SOURCES, "apbd_district"), 850_000_000]
    for column, header in enumerate(layout.FUNDING_HEADERS, start=1):
        sheet.cell(row=top + 4, column=column, value=header).font = _bold()
        cell = sheet.cell(row=top + 5, column=column, value=funding[column - 1])
        if header == layout.AMOUNT:
            cell.number_format = AMOUNT_FORMAT


def import_template(plan: ActionPlan) -> bytes:
    """The template for `plan`: its years and its region's (and the province's) agencies."""
    from openpyxl import Workbook

    all_agencies = layout.plan_agencies(plan)
    agencies = [layout.agency_label(agency, all_agencies) for agency in all_agencies]
    workbook = Workbook()
    activities = workbook.active
    activities.title = layout.ACTIVITY_SHEET
    _header(activities, layout.ACTIVITY_HEADERS, (6, 24, 16, 40, 32, 10, 16, 24, 12, 12))
    funding = workbook.create_sheet(layout.FUNDING_SHEET)
    _header(funding, layout.FUNDING_HEADERS, (6, 10, 26, 20))
    ranges = _guide(workbook, plan, agencies)

    last_activity, last_funding = MAX_ACTIVITIES + 1, MAX_FUNDING_ROWS + 1
    _dropdown(activities, ranges[layout.SUB_SECTOR], f"B2:B{last_activity}")
    _dropdown(activities, ranges[layout.ACTIVITY_TYPE], f"C2:C{last_activity}")
    if agencies:
        _dropdown(activities, ranges[layout.AGENCY], f"H2:H{last_activity}")
    _dropdown(activities, ranges[layout.YEAR], f"I2:J{last_activity}")
    _dropdown(funding, ranges[layout.YEAR], f"B2:B{last_funding}")
    _dropdown(funding, ranges[layout.SOURCE], f"C2:C{last_funding}")
    funding.column_dimensions["D"].number_format = AMOUNT_FORMAT

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(plan: ActionPlan) -> str:
    return f"template-kegiatan-{plan.region.code}-{plan.period_start}-{plan.period_end}.xlsx"
