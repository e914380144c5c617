"""An activity import cannot hold the server: workbooks that unpack into millions of empty cells,
declare them, unpack far beyond their size or take too long to read are refused with a message
naming the limit, through the real upload page, and nothing is saved; a normal import still
works.

The hostile sheets are written here by hand, streamed into the archive, so each test file is a
few kilobytes and quick to build (an attack found a 269 KB file of 49 million empty cells that
held a worker for almost four minutes)."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from collections.abc import Callable
from typing import IO, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, format_decimal
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from tests.conftest import login
from tests.db.test_plan_spreadsheets import (
    ACTIVITY_HEADERS,
    FUNDING_HEADERS,
    activity_row,
    contents,
    new_plan,
    page,
    refusal,
    said,
    upload,
    workbook,
)
from workflow_app.spreadsheets import bounded_xlsx, layout

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FUNDING_PART = "xl/worksheets/sheet2.xml"  # openpyxl stores the second sheet here
ADVICE = "Delete the empty rows and columns, or copy the data into the import template."

Writer = Callable[[IO[bytes]], None]


# --- hostile workbooks ---------------------------------------------------------------------


def number(value: float) -> str:
    """A number as the drafter (language "id") reads it in a message."""
    with force_locale("id"):
        return str(format_decimal(value, format="#,##0.#"))


def refused_for(message: str, **values: Any) -> str:
    return said(message, **values) + " " + said(ADVICE)


def _header_row() -> bytes:
    cells = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column, header.encode())
        for column, header in zip((b"A", b"B", b"C", b"D"), FUNDING_HEADERS, strict=True)
    )
    return b'<row r="1">' + cells + b"</row>"


def funding_sheet(
    rows: Writer | None = None, *, dimension: str | None = None, root: bytes = b""
) -> Writer:
    """The funding sheet's XML: its header row, then what `rows` writes."""

    def write(stream: IO[bytes]) -> None:
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        stream.write(b'<worksheet xmlns="' + MAIN_NS + b'"' + root + b">")
        if dimension is not None:
            stream.write(b'<dimension ref="%s"/>' % dimension.encode())
        stream.write(b"<sheetData>" + _header_row())
        if rows is not None:
            rows(stream)
        stream.write(b"</sheetData></worksheet>")

    return write


def one_activity_with(sheet: Writer, extra_parts: int = 0) -> bytes:
    """A valid workbook of one activity whose funding sheet is `sheet` (streamed into the
    archive, never held whole in memory), plus `extra_parts` small parts."""
    source = zipfile.ZipFile(io.BytesIO(workbook([activity_row(1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            if entry.filename == FUNDING_PART:
                with archive.open(FUNDING_PART, "w") as stream:
                    sheet(stream)
            else:
                archive.writestr(entry.filename, source.read(entry.filename))
        for index in range(extra_parts):
            archive.writestr(f"customXml/item{index}.xml", "<x/>")
    return out.getvalue()


def empty_cells(rows: int, per_row: int, tag: bytes = b"c", attributes: bytes = b"") -> Writer:
    """`rows` rows of `per_row` empty cells each, every cell with its reference (A2, B2, ...)."""
    template = b"".join(
        b'<%s r="%s#"%s/>' % (tag, get_column_letter(index).encode(), attributes)
        for index in range(1, per_row + 1)
    )

    def write(stream: IO[bytes]) -> None:
        for row in range(2, rows + 2):
            number = b"%d" % row
            stream.write(b'<row r="' + number + b'">' + template.replace(b"#", number) + b"</row>")

    return write


def spaces(count: int) -> Writer:
    def write(stream: IO[bytes]) -> None:
        block = b" " * 1024 * 1024
        for _ in range(count // len(block)):
            stream.write(block)
        stream.write(b" " * (count % len(block)))

    return write


def parts(content: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(content)).infolist()


@pytest.fixture
def plan(users: dict[str, Any]) -> int:
    """An empty plan of district 6301."""
    return new_plan(users["drafter"]).id


@pytest.fixture
def drafter(client: FlaskClient, users: dict[str, Any]) -> FlaskClient:
    login(client, "drafter.6301")
    return client


def import_refused(client: FlaskClient, plan: int, content: bytes) -> str:
    """Upload `content` into the empty `plan`; the refusal shown, once nothing was saved."""
    response = upload(client, plan, content)
    assert response.status_code == 400, page(response)
    assert contents(plan) == []
    return refusal(response)


# --- refused before parsing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "attributes", "root"),
    [(b"c", b"", b""), (b"x:c", b' s="0"', b' xmlns:x="' + MAIN_NS + b'"')],
    ids=["plain", "prefixed"],
)
def test_a_sheet_of_empty_cells_beyond_the_limit_is_refused_before_it_is_parsed(
    app: Flask, drafter: FlaskClient, plan: int, tag: bytes, attributes: bytes, root: bytes
) -> None:
    limit = app.config["IMPORT_MAX_CELLS"]
    rows, per_row = limit // 1000 + 20, 1000
    cells = empty_cells(rows, per_row, tag, attributes)
    content = one_activity_with(funding_sheet(cells, root=root))
    assert len(content) < 2 * 2**20  # well under the 5 MB an upload may be

    shown = import_refused(drafter, plan, content)

    held = rows * per_row + len(FUNDING_HEADERS) + 2 * len(ACTIVITY_HEADERS)
    assert shown == refused_for(
        "The workbook holds %(count)s cells, empty ones included; at most %(limit)s are accepted.",
        count=number(held),
        limit=number(limit),
    )


def test_a_sheet_declaring_millions_of_cells_is_refused(
    app: Flask, drafter: FlaskClient, plan: int
) -> None:
    # 1,000 columns (A to ALL) by 50,000 rows: the shape of the 49 million cells found.
    content = one_activity_with(funding_sheet(dimension="A1:ALL50000"))

    shown = import_refused(drafter, plan, content)

    assert shown == refused_for(
        "Sheet “%(sheet)s” declares %(count)s cells (%(range)s); at most %(limit)s are accepted.",
        sheet=layout.FUNDING_SHEET,
        count=number(50_000_000),
        range="A1:ALL50000",
        limit=number(app.config["IMPORT_MAX_CELLS"]),
    )


def test_a_file_unpacking_beyond_the_limit_is_refused(
    app: Flask, drafter: FlaskClient, plan: int
) -> None:
    limit = app.config["IMPORT_MAX_UNPACKED_BYTES"]
    content = one_activity_with(funding_sheet(spaces(limit)))
    unpacked = sum(part.file_size for part in parts(content))
    assert unpacked > limit and len(content) < 100_000

    shown = import_refused(drafter, plan, content)

    assert shown == refused_for(
        "The file unpacks to %(size)s MB; at most %(limit)s MB is accepted.",
        size=number(math.ceil(unpacked * 10 / 2**20) / 10),
        limit=number(limit / 2**20),
    )


def test_a_large_part_packed_far_too_tightly_is_refused(
    app: Flask, drafter: FlaskClient, plan: int
) -> None:
    content = one_activity_with(funding_sheet(spaces(2 * 2**20)))
    sheet = next(part for part in parts(content) if part.filename == FUNDING_PART)
    ratio = sheet.file_size / sheet.compress_size
    assert ratio > app.config["IMPORT_MAX_COMPRESSION_RATIO"]

    shown = import_refused(drafter, plan, content)

    assert shown == refused_for(
        "A part of the file unpacks to %(ratio)s times its packed size; "
        "at most %(limit)s times is accepted.",
        ratio=number(math.floor(ratio)),
        limit=number(app.config["IMPORT_MAX_COMPRESSION_RATIO"]),
    )


def test_a_file_of_too_many_parts_is_refused(app: Flask, drafter: FlaskClient, plan: int) -> None:
    limit = app.config["IMPORT_MAX_PARTS"]
    content = one_activity_with(funding_sheet(), extra_parts=limit)

    shown = import_refused(drafter, plan, content)

    assert shown == refused_for(
        "The file holds %(count)s parts; at most %(limit)s are accepted.",
        count=number(len(parts(content))),
        limit=number(limit),
    )


# --- refused while reading -----------------------------------------------------------------


def test_reading_stops_once_the_time_budget_is_spent(
    app: Flask, drafter: FlaskClient, plan: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_SECONDS", 0)

    shown = import_refused(drafter, plan, workbook([activity_row(1)]))

    assert shown == refused_for(
        "Reading the file takes more than %(seconds)s seconds of processing, the most allowed.",
        seconds=number(0),
    )


def test_openpyxl_reads_the_workbook_and_its_rows_within_the_budget(app_ctx: Flask) -> None:
    """Whatever openpyxl parses (styles, shared strings, rows) is read through the budget, so
    what the counts before parsing do not see is bounded too."""
    content = workbook([activity_row(n) for n in range(1, 4)])
    spent = bounded_xlsx.Budget(-1)
    with pytest.raises(bounded_xlsx.LimitExceeded):
        bounded_xlsx.open_workbook(content, spent)

    budget = bounded_xlsx.Budget(3600)
    book = bounded_xlsx.open_workbook(content, budget)
    try:
        assert next(book[layout.ACTIVITY_SHEET].iter_rows(values_only=True))[0] == "No."
        budget.seconds = -1
        with pytest.raises(bounded_xlsx.LimitExceeded):
            list(book[layout.ACTIVITY_SHEET].iter_rows(values_only=True))
    finally:
        book.close()


# --- what is normal still works ------------------------------------------------------------


def test_a_normal_workbook_imports_even_with_a_cell_far_to_the_right(
    drafter: FlaskClient, plan: int
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = layout.ACTIVITY_SHEET
    for row in [ACTIVITY_HEADERS, activity_row(1), activity_row(2)]:
        sheet.append(list(row))
    sheet["XFD3"] = "catatan"  # a note in the sheet's last column
    funding = book.create_sheet(layout.FUNDING_SHEET)
    for row in [FUNDING_HEADERS, [2, 2027, "APBN", 5_000_000]]:
        funding.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)

    response = upload(drafter, plan, buffer.getvalue())

    assert response.status_code == 303, page(response)
    assert [row[2] for row in contents(plan)] == ["Kegiatan 1", "Kegiatan 2"]
    assert contents(plan)[1][-1] == [(2027, "apbn", 5_000_000)]


def test_the_largest_plan_the_import_takes_is_within_the_limits(app_ctx: Flask) -> None:
    """2,000 activities with long titles and 20,000 funding rows (the import's row limits) pass
    every check before parsing with room to spare: half of each limit."""
    from workflow_app.spreadsheets import activity_import

    book = Workbook(write_only=True)
    activities = book.create_sheet(layout.ACTIVITY_SHEET)
    activities.append(ACTIVITY_HEADERS)
    for n in range(1, activity_import.MAX_ACTIVITIES + 1):
        activities.append(activity_row(n, Nama_kegiatan=f"Kegiatan {n} " + "x" * 280))
    funding = book.create_sheet(layout.FUNDING_SHEET)
    funding.append(FUNDING_HEADERS)
    for n in range(activity_import.MAX_FUNDING_ROWS):
        funding.append([n % 2000 + 1, 2026 + n % 2, "APBN", 1_500_000_000 + n])
    buffer = io.BytesIO()
    book.save(buffer)
    limits = bounded_xlsx.Limits.from_config(app_ctx.config)
    half = dataclasses.replace(
        limits,
        unpacked_bytes=limits.unpacked_bytes // 2,
        parts=limits.parts // 2,
        compression_ratio=limits.compression_ratio // 2,
        cells=limits.cells // 2,
    )

    archive = zipfile.ZipFile(buffer)
    bounded_xlsx.check_archive(archive.infolist(), half)
    bounded_xlsx.count_cells(archive, half, bounded_xlsx.Budget(3600))
