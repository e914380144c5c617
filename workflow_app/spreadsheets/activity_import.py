"""Reading a plan's activities and funding from an uploaded workbook in the template layout.

Every invalid row is reported (sheet, row number as Excel shows it, column by its header,
reason in the interface language), not just the first; the caller saves nothing unless the
whole file is valid. A problem with the file itself (not an XLSX, unreadable, a sheet or a
column missing, too large) is one error.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _

from ..number_input import RUPIAH, NumberError, NumberKind, check_number, read_number
from ..plans.forms import VOLUME
from ..plans.funding import outside_schedule
from ..plans.models import ActionPlan
from ..plans.operations import ActivityData, FundingData
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from ..regions.models import Agency
from . import layout
from .bounded_xlsx import (
    Budget,
    LimitExceeded,
    Limits,
    check_archive,
    check_declared_size,
    count_cells,
    open_workbook,
)

if TYPE_CHECKING:  # openpyxl is imported when a workbook is read (bounded_xlsx.open_workbook)
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

MAX_BYTES = 5 * 1024 * 1024
MAX_ACTIVITIES = 2000
MAX_FUNDING_ROWS = 20_000
# Rows read per sheet, empty ones included. Cells, unpacked size and reading time are
# bounded by settings (bounded_xlsx.py).
MAX_SHEET_ROWS = 50_000
TEXT_LIMITS = {layout.TITLE: 300, layout.LOCATION: 300, layout.UNIT: 40}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls


@dataclass(frozen=True)
class RowError:
    """One invalid cell (or row, when `column` is empty)."""

    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.sheet} {self.row} {self.column}: {self.reason}"


class ImportRejected(Exception):
    """Nothing may be imported from this file."""


class FileRejected(ImportRejected):
    """The file as a whole cannot be read as the template: one message for the user."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RowsRejected(ImportRejected):
    """Some rows are invalid: every one of them, in sheet and row order."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


class _CellError(ValueError):
    """A cell's value is not acceptable; the message is for the user."""


# --- reading the workbook ----------------------------------------------------------------


def _open(content: bytes, limits: Limits, budget: Budget) -> Any:
    if len(content) > MAX_BYTES:
        raise FileRejected(
            _("The file is larger than %(size)d MB.", size=MAX_BYTES // (1024 * 1024))
        )
    if content.startswith(_OLE_MAGIC):
        raise FileRejected(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx).")
        )
    not_xlsx = _("The file is not an Excel workbook (.xlsx). Use the import template.")
    damaged = _("The workbook could not be read. Open it in Excel, save it again and retry.")
    if not content.startswith(_ZIP_MAGIC):
        raise FileRejected(not_xlsx)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(not_xlsx) from None
    with archive:
        entries = archive.infolist()
        if "xl/workbook.xml" not in {entry.filename for entry in entries}:
            raise FileRejected(not_xlsx)
        check_archive(entries, limits)
        try:
            count_cells(archive, limits, budget)
        except LimitExceeded:
            raise
        except Exception:  # a part that cannot be unpacked (damaged, encrypted, unknown method)
            raise FileRejected(damaged) from None
    try:
        return open_workbook(content, budget)
    except LimitExceeded:
        raise
    except Exception:  # openpyxl raises many kinds of errors on a damaged file
        raise FileRejected(damaged) from None


def _sheet(workbook: Any, name: str, limits: Limits) -> ReadOnlyWorksheet:
    by_name = {layout.normalised(title): title for title in workbook.sheetnames}
    title = by_name.get(layout.normalised(name))
    if title is None:
        raise FileRejected(
            _("The workbook has no sheet “%(sheet)s”. Use the import template.", sheet=name)
        )
    sheet = workbook[title]
    check_declared_size(sheet, name, limits)
    # The size written in the file may be wrong (some programs write none): read every cell.
    sheet.reset_dimensions()
    return sheet


@dataclass
class _Row:
    number: int  # as Excel shows it
    cells: dict[str, Any]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _rows(sheet: ReadOnlyWorksheet, name: str, headers: Sequence[str], limit: int) -> list[_Row]:
    """The non-empty rows under the header row, as {header: value}."""
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    columns: dict[str, int] = {}
    for index, value in enumerate(first):
        if isinstance(value, str):
            columns.setdefault(layout.normalised(value), index)
    missing = [h for h in headers if layout.normalised(h) not in columns]
    if missing:
        raise FileRejected(
            _(
                "Sheet “%(sheet)s” has no column %(missing)s in its first row. "
                "The columns are: %(expected)s. Use the import template.",
                sheet=name,
                missing=", ".join(f"“{h}”" for h in missing),
                expected=", ".join(headers),
            )
        )
    where = {h: columns[layout.normalised(h)] for h in headers}
    # Only the columns up to the last one read: a cell far to the right must not make
    # openpyxl pad every row with thousands of empty values.
    lines: Iterator[tuple[Any, ...]] = sheet.iter_rows(
        min_row=2, max_col=max(where.values()) + 1, values_only=True
    )
    rows: list[_Row] = []
    for number, values in enumerate(lines, start=2):
        if number > MAX_SHEET_ROWS:
            raise FileRejected(
                _(
                    "Sheet “%(sheet)s” has more than %(count)d rows.",
                    sheet=name,
                    count=MAX_SHEET_ROWS,
                )
            )
        cells = {h: values[i] if i < len(values) else None for h, i in where.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        rows.append(_Row(number, cells))
        if len(rows) > limit:
            raise FileRejected(
                _("Sheet “%(sheet)s” has more than %(count)d rows.", sheet=name, count=limit)
            )
    return rows


# --- cell values -----------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time):
        value = value.isoformat()
    return str(value).replace("\x00", "").strip()


def _finite(value: Any) -> bool:
    return not isinstance(value, float | Decimal) or math.isfinite(value)


def _whole(value: Any, message: str) -> int:
    if isinstance(value, bool | datetime | date | time):
        raise _CellError(message)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if not _finite(value) or value != int(value):
            raise _CellError(message)
        return int(value)
    text = _text(value).removesuffix(".0")
    if not text.isdigit():
        raise _CellError(message)
    return int(text)


def _year(value: Any, first: int, last: int) -> int:
    message = _("Write a year between %(first)d and %(last)d.", first=first, last=last)
    year = _whole(value, message)
    if not first <= year <= last:
        raise _CellError(message)
    return year


def _number(value: Any, kind: NumberKind) -> Decimal:
    """A cell as the web form reads the same field: a number cell as it is, text by the
    product's one parser (1.500 · 12,5 · Rp1.500.000)."""
    if isinstance(value, bool | datetime | date | time):
        value = _text(value)  # never a number: refused with the kind's message
    try:
        if isinstance(value, int | float | Decimal):
            return check_number(value, kind)
        return read_number(_text(value), kind)
    except NumberError as exc:
        raise _CellError(str(exc)) from None


def _volume(value: Any) -> Decimal | None:
    return None if _blank(value) else _number(value, VOLUME)


def _amount(value: Any) -> int:
    return int(_number(value, RUPIAH))


def _choice(value: Any, names: dict[str, str], labels: dict[str, object], what: str) -> str:
    code = names.get(layout.normalised(_text(value)))
    if code is None:
        raise _CellError(
            _(
                "Unknown %(what)s “%(value)s”. Use one of: %(valid)s.",
                what=what,
                value=_text(value),
                valid=", ".join(layout.valid_labels(labels)),
            )
        )
    return code


class _Agencies:
    def __init__(self, agencies: Sequence[Agency]) -> None:
        self.names = layout.agency_lookup(agencies)
        self.valid = ", ".join(layout.agency_label(a, agencies) for a in agencies)

    def resolve(self, value: Any) -> int | None:
        text = _text(value)
        if not text:
            return None
        found = self.names.get(layout.normalised(text), [])
        if len(found) > 1:
            raise _CellError(
                _(
                    "Several agencies are called “%(name)s”: write the region in brackets. "
                    "Use one of: %(valid)s.",
                    name=text,
                    valid=self.valid,
                )
            )
        if not found:
            raise _CellError(
                _(
                    "Unknown agency “%(name)s” for this district. Use one of: %(valid)s.",
                    name=text,
                    valid=self.valid,
                )
            )
        return found[0].id


# --- rows ------------------------------------------------------------------------------


@dataclass
class _Reader:
    """Collects the errors of every row while it builds the activities."""

    plan: ActionPlan
    agencies: _Agencies
    vocabulary: layout.Vocabulary
    errors: list[RowError] = field(default_factory=list)

    def cell(self, sheet: str, row: _Row, column: str, read: Any) -> Any:
        """`read(value)`, or None after recording why the value is not acceptable."""
        try:
            return read(row.cells[column])
        except _CellError as exc:
            self.errors.append(RowError(sheet, row.number, column, str(exc)))
            return None

    def required(self, sheet: str, row: _Row, column: str, read: Any) -> Any:
        if _blank(row.cells[column]):
            self.errors.append(RowError(sheet, row.number, column, _("This cell is required.")))
            return None
        return self.cell(sheet, row, column, read)

    def text(self, sheet: str, row: _Row, column: str, *, required: bool) -> str | None:
        limit = TEXT_LIMITS[column]

        def read(value: Any) -> str:
            text = _text(value)
            if len(text) > limit:
                raise _CellError(_("Write at most %(count)d characters.", count=limit))
            return text

        return (self.required if required else self.cell)(sheet, row, column, read)


def _activity_number(value: Any) -> int:
    number = _whole(value, _("Write the activity's number: a whole number such as 1, 2, 3."))
    if number < 1:
        raise _CellError(_("Write the activity's number: a whole number such as 1, 2, 3."))
    return number


@dataclass
class _Numbered:
    row: int
    data: ActivityData | None  # None: the row is invalid (its errors are reported)


def _read_activities(reader: _Reader, rows: list[_Row]) -> dict[int, _Numbered]:
    sheet, words = layout.ACTIVITY_SHEET, reader.vocabulary
    first, last = reader.plan.period_start, reader.plan.period_end
    numbered: dict[int, _Numbered] = {}
    for row in rows:
        before = len(reader.errors)
        number = reader.required(sheet, row, layout.NO, _activity_number)
        if number is not None and number in numbered:
            reason = _(
                "Activity number %(number)d is already used on row %(row)d.",
                number=number,
                row=numbered[number].row,
            )
            reader.errors.append(RowError(sheet, row.number, layout.NO, reason))
            number = None
        sub_sector = reader.required(
            sheet,
            row,
            layout.SUB_SECTOR,
            lambda v: _choice(v, words.sub_sectors, SUB_SECTORS, _("sub-sector")),
        )
        activity_type = reader.required(
            sheet,
            row,
            layout.ACTIVITY_TYPE,
            lambda v: _choice(v, words.activity_types, ACTIVITY_TYPES, _("activity type")),
        )
        title = reader.text(sheet, row, layout.TITLE, required=True)
        location = reader.text(sheet, row, layout.LOCATION, required=True)
        volume = reader.cell(sheet, row, layout.VOLUME, _volume)
        unit = reader.text(sheet, row, layout.UNIT, required=False)
        agency_id = reader.cell(sheet, row, layout.AGENCY, reader.agencies.resolve)
        start = reader.required(sheet, row, layout.START_YEAR, lambda v: _year(v, first, last))
        end = reader.required(sheet, row, layout.END_YEAR, lambda v: _year(v, first, last))
        if start is not None and end is not None and end < start:
            reason = _("The activity cannot end before it starts.")
            reader.errors.append(RowError(sheet, row.number, layout.END_YEAR, reason))
        data = None
        if len(reader.errors) == before:
            data = ActivityData(
                sub_sector=sub_sector,
                activity_type=activity_type,
                title=title or "",
                location=location or "",
                volume=volume,
                unit=unit or "",
                agency_id=agency_id,
                start_year=start,
                end_year=end,
            )
        if number is not None:
            numbered[number] = _Numbered(row.number, data)
    return numbered


def _read_funding(reader: _Reader, rows: list[_Row], numbered: dict[int, _Numbered]) -> None:
    sheet, words = layout.FUNDING_SHEET, reader.vocabulary
    first, last = reader.plan.period_start, reader.plan.period_end
    seen: dict[tuple[int, int, str], int] = {}
    for row in rows:
        number = reader.required(sheet, row, layout.NO, _activity_number)
        activity = numbered.get(number) if number is not None else None
        if number is not None and activity is None:
            reason = _(
                "There is no activity number %(number)d in sheet “%(sheet)s”.",
                number=number,
                sheet=layout.ACTIVITY_SHEET,
            )
            reader.errors.append(RowError(sheet, row.number, layout.NO, reason))
        year = reader.required(sheet, row, layout.YEAR, lambda v: _year(v, first, last))
        source = reader.required(
            sheet,
            row,
            layout.SOURCE,
            lambda v: _choice(v, words.sources, FUNDING_SOURCES, _("funding source")),
        )
        amount = reader.required(sheet, row, layout.AMOUNT, _amount)
        data = activity.data if activity is not None else None
        reason = None
        if data is not None and year is not None:
            reason = outside_schedule(year, data.start_year, data.end_year)
        if reason is not None:
            reader.errors.append(RowError(sheet, row.number, layout.YEAR, reason))
            year = None
        if None in (number, year, source):
            continue
        key = (number, year, source)
        if key in seen:
            reason = _(
                "Activity %(number)d already has funding from this source in %(year)d "
                "on row %(row)d.",
                number=number,
                year=year,
                row=seen[key],
            )
            reader.errors.append(RowError(sheet, row.number, layout.SOURCE, reason))
            continue
        seen[key] = row.number
        if data is not None and amount is not None:
            data.funding.append(FundingData(year=year, source=source, amount=amount))


def read_activities(
    content: bytes, plan: ActionPlan, agencies: Sequence[Agency] | None = None
) -> list[ActivityData]:
    """The activities of the workbook `content`, in sheet order, for `plan`.

    Raises FileRejected (one message) or RowsRejected (every invalid row)."""
    limits = Limits.from_config(current_app.config)
    budget = Budget(limits.seconds)
    try:
        workbook = _open(content, limits, budget)
        try:
            activity_rows = _rows(
                _sheet(workbook, layout.ACTIVITY_SHEET, limits),
                layout.ACTIVITY_SHEET,
                layout.ACTIVITY_HEADERS,
                MAX_ACTIVITIES,
            )
            funding_rows = _rows(
                _sheet(workbook, layout.FUNDING_SHEET, limits),
                layout.FUNDING_SHEET,
                layout.FUNDING_HEADERS,
                MAX_FUNDING_ROWS,
            )
        except (ImportRejected, LimitExceeded):
            raise
        except Exception:  # a damaged sheet shows only while its rows are read
            raise FileRejected(
                _("The workbook could not be read. Open it in Excel, save it again and retry.")
            ) from None
        finally:
            workbook.close()
    except LimitExceeded as exc:
        raise FileRejected(exc.message) from None
    if not activity_rows:
        raise FileRejected(_("Sheet “%(sheet)s” has no activities.", sheet=layout.ACTIVITY_SHEET))
    if agencies is None:
        agencies = layout.plan_agencies(plan)
    reader = _Reader(plan, _Agencies(agencies), layout.vocabulary())
    numbered = _read_activities(reader, activity_rows)
    _read_funding(reader, funding_rows, numbered)
    if reader.errors:
        raise RowsRejected(reader.errors)
    # Sheet order, not number order: the activities keep the order the district gave them.
    by_row = sorted(numbered.values(), key=lambda item: item.row)
    return [item.data for item in by_row if item.data is not None]
