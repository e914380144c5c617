"""Tables written as XLSX (openpyxl) or CSV, safe to open in a spreadsheet program.

Every export in the app (a plan, a quarter's reports, the dashboard tables) builds `Sheet`s
and hands them here, so formula neutralising and file details live in one place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"

# A cell starting with one of these is read as a formula by Excel and LibreOffice
# (tab and carriage return too: some programs strip them and then see the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal | date | datetime | None


@dataclass
class Sheet:
    """One table: a title (the worksheet's name in XLSX), headers and rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Cell]] = field(default_factory=list)


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Cell) -> Cell:
    """For CSV: text a spreadsheet would run as a formula gets a leading `'` (OWASP's advice),
    so it shows as text; numbers and dates pass unchanged."""
    return "'" + value if is_formula_like(value) else value  # type: ignore[operator]


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()[:31] or "Sheet"
    name, counter = cleaned, 2
    while name.lower() in taken:
        suffix = f" ({counter})"
        name, counter = cleaned[: 31 - len(suffix)] + suffix, counter + 1
    taken.add(name.lower())
    return name


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title, taken))
        worksheet.append([_xlsx_value(h) for h in sheet.headers])
        for cell in worksheet[1]:
            cell.font = bold
        for row in sheet.rows:
            worksheet.append([_xlsx_value(v) for v in row])
        _neutralise_formulas(worksheet)
        worksheet.freeze_panes = "A2"
        for index, header in enumerate(sheet.headers, start=1):
            sample = [len(str(r[index - 1] or "")) for r in sheet.rows[:200]]
            width = min(60, max(10, len(str(header)) + 2, *(n + 2 for n in sample)))
            worksheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: callers pass WITA times
    return value


def _neutralise_formulas(worksheet: Worksheet) -> None:
    """openpyxl stores text starting with `=` as a formula. Such cells become plain text with
    Excel's quote prefix: shown exactly as typed, never evaluated, and read back unchanged
    (so an exported plan imports again as it was)."""
    for row in worksheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Indonesian text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in sheet.headers])
    for row in sheet.rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render(sheets: Sequence[Sheet], fmt: Format) -> bytes:
    """XLSX holds every sheet; CSV, having one table only, holds the first."""
    if fmt == "xlsx":
        return to_xlsx(sheets)
    if fmt == "csv":
        return to_csv(sheets[0])
    raise ValueError(f"unknown format {fmt!r}")


def download(sheets: Sequence[Sheet], fmt: Format, filename_stem: str) -> Response:
    """A response that downloads the sheets as `<filename_stem>.<fmt>`."""
    body = render(sheets, fmt)
    mimetype = XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE
    safe_stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename_stem)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_stem}.{fmt}"'
    return response
