"""Tables written as XLSX (openpyxl) or CSV, safe to open in a spreadsheet program.

Every export in the app (a plan, a quarter's reports, the dashboard tables) builds `Sheet`s
and hands them here, so formula neutralising and file details live in one place.

CSV comes in two dialects, both UTF-8 with a byte-order mark. "standard": commas between
columns, a decimal point (63.5): what most programs, and Excel in English, read. "id": for
Excel under Indonesian regional settings, whose list separator is a semicolon and decimal
separator a comma: semicolons between columns, a decimal comma (63,5), so the file opens in
columns and 63,5 is not read as 635. A URL asks for it with `?dialect=id`; the export URLs
without it are unchanged.

In XLSX a Rupiah cell (`Rupiah`) carries a Rupiah number format ("Rp"#,##0: Rp1.500.000 in
Indonesian Excel) and a percentage (`Percent`) a format with a % sign. A percentage keeps its
value 0-100 (63.5 shows as 63,5%), as in the CSV, the API and the "(%)" of its header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from flask import Response, abort, request

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
Dialect = Literal["standard", "id"]
DIALECTS: tuple[Dialect, ...] = ("standard", "id")
RUPIAH_FORMAT = '"Rp"#,##0'
PERCENT_FORMAT = '0.0#"%"'
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"

# A cell starting with one of these is read as a formula by Excel and LibreOffice
# (tab and carriage return too: some programs strip them and then see the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal | date | datetime | None


class Rupiah(int):
    """A cell of whole Rupiah: XLSX shows it with the Rupiah number format."""


class Percent(Decimal):
    """A cell holding a percentage 0-100: XLSX shows it with a % sign."""


def rupiah_cell(amount: int | None) -> Rupiah | None:
    return None if amount is None else Rupiah(amount)


def percent_cell(value: Decimal | int | float | None) -> Percent | None:
    return None if value is None else Percent(str(value))


def percent_if(percent: bool, value: Decimal | int | float | None) -> Cell:
    """`value` as a percentage cell when `percent` (an indicator's unit is %), else as it is."""
    return percent_cell(value) if percent else value


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
    # openpyxl (~6 MiB) is imported by the first download, not by every web process at start.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

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
            _number_formats(worksheet, row)
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
    if isinstance(value, Rupiah):
        return int(value)
    if isinstance(value, Percent):
        return Decimal(value)
    return value


def _number_formats(worksheet: Worksheet, row: Sequence[Cell]) -> None:
    """The Rupiah and percentage formats of the row just appended."""
    formats = {
        index: RUPIAH_FORMAT if isinstance(value, Rupiah) else PERCENT_FORMAT
        for index, value in enumerate(row, start=1)
        if isinstance(value, Rupiah | Percent)
    }
    for index, number_format in formats.items():
        worksheet.cell(row=worksheet.max_row, column=index).number_format = number_format


def _neutralise_formulas(worksheet: Worksheet) -> None:
    """openpyxl stores text starting with `=` as a formula. Such cells become plain text with
    Excel's quote prefix: shown exactly as typed, never evaluated, and read back unchanged
    (so an exported plan imports again as it was)."""
    for row in worksheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def _decimal_comma(value: Cell) -> Cell:
    """A number the way Indonesian Excel reads it: a decimal comma, no grouping."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, int):
        return str(int(value))
    text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    return text.replace(".", ",")


def to_csv(sheet: Sheet, dialect: Dialect = "standard") -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Indonesian text correctly; the dialect
    "id" separates columns with semicolons and decimals with a comma."""
    buffer = io.StringIO()
    delimiter = ";" if dialect == "id" else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in sheet.headers])
    for row in sheet.rows:
        cells = ["" if v is None else safe_cell(v) for v in row]
        writer.writerow([_decimal_comma(c) for c in cells] if dialect == "id" else cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render(sheets: Sequence[Sheet], fmt: Format, dialect: Dialect = "standard") -> bytes:
    """XLSX holds every sheet; CSV, having one table only, holds the first."""
    if fmt == "xlsx":
        return to_xlsx(sheets)
    if fmt == "csv":
        return to_csv(sheets[0], dialect)
    raise ValueError(f"unknown format {fmt!r}")


def csv_dialect() -> Dialect:
    """The CSV dialect the request asks for (`?dialect=id`), "standard" without one; an
    unknown dialect is "not found", like an unknown format."""
    dialect = request.args.get("dialect", "standard")
    if dialect not in DIALECTS:
        abort(404)
    return dialect  # type: ignore[return-value]


def download(
    sheets: Sequence[Sheet], fmt: Format, filename_stem: str, dialect: Dialect = "standard"
) -> Response:
    """A response that downloads the sheets as `<filename_stem>.<fmt>` (a CSV for Indonesian
    Excel as `<filename_stem>-excel-id.csv`)."""
    body = render(sheets, fmt, dialect)
    mimetype = XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE
    if fmt == "csv" and dialect == "id":
        filename_stem += "-excel-id"
    safe_stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename_stem)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_stem}.{fmt}"'
    return response
