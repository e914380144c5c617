"""Spreadsheet files as a person opens them: formulas typed into the app stay text, CSV opens
in Excel with its Indonesian characters, sheet names are ones Excel accepts."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from workflow_app.spreadsheets.tabular import (
    PERCENT_FORMAT,
    RUPIAH_FORMAT,
    Sheet,
    percent_cell,
    render,
    rupiah_cell,
    safe_cell,
    to_csv,
    to_xlsx,
)

DANGEROUS = ['=HYPERLINK("http://example.test","klik")', "+1", "-2", "@SUM(A1:A9)", "=1+1"]


def _cells(content: bytes, title: str) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content))[title]
    return [[cell for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_stores_formula_like_text_as_quoted_text_and_reads_it_back_unchanged(
    text: str,
) -> None:
    content = to_xlsx([Sheet("Kegiatan", ["Nama kegiatan"], [[text]])])

    cell = _cells(content, "Kegiatan")[1][0]
    assert cell.data_type == "s"  # text, not a formula
    assert cell.quotePrefix is True  # Excel shows it as typed and never evaluates it
    assert cell.value == text
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml


def test_xlsx_keeps_ordinary_values_and_types() -> None:
    row = ["Layanan LLTT", 850_000_000, Decimal("12.5"), None, datetime(2026, 2, 5, 14, 30)]
    content = to_xlsx([Sheet("Data", ["a", "b", "c", "d", "e"], [row])])

    cells = _cells(content, "Data")[1]
    assert [c.value for c in cells] == [
        "Layanan LLTT",
        850_000_000,
        12.5,
        None,
        datetime(2026, 2, 5, 14, 30),
    ]
    assert cells[0].quotePrefix is False
    assert cells[1].data_type == "n"


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_prefixes_formula_like_text_with_an_apostrophe(text: str) -> None:
    content = to_csv(Sheet("Kegiatan", ["Nama kegiatan", "Jumlah"], [[text, -5]]))

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1][0] == "'" + text
    assert rows[1][1] == "-5"  # a negative number is data, not a formula


def test_csv_is_utf8_with_byte_order_mark_and_empty_cells_for_none() -> None:
    content = to_csv(Sheet("X", ["Sumber dana", "Lokasi"], [["Swadaya", None], ["CSR", "Désa"]]))

    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    assert text.splitlines() == ["Sumber dana,Lokasi", "Swadaya,", "CSR,Désa"]


def test_safe_cell_leaves_numbers_and_plain_text_alone() -> None:
    assert safe_cell(-2) == -2
    assert safe_cell("Rp1.500.000") == "Rp1.500.000"
    assert safe_cell("\t=1") == "'\t=1"


def test_sheet_names_are_made_acceptable_to_excel_and_unique() -> None:
    long_name = "Rencana/Aksi: [Tanah Laut] ? *" + "x" * 40
    content = to_xlsx([Sheet(long_name, ["a"]), Sheet(long_name, ["a"]), Sheet("", ["a"])])

    names = load_workbook(io.BytesIO(content)).sheetnames
    assert len(set(names)) == 3
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in names)


def test_render_csv_holds_the_first_sheet_only_and_refuses_unknown_formats() -> None:
    sheets = [Sheet("A", ["first"], [[1]]), Sheet("B", ["second"], [[2]])]

    assert render(sheets, "csv").decode("utf-8-sig").splitlines() == ["first", "1"]
    assert load_workbook(io.BytesIO(render(sheets, "xlsx"))).sheetnames == ["A", "B"]
    with pytest.raises(ValueError):
        render(sheets, "ods")  # type: ignore[arg-type]


# --- CSV for Excel in Indonesian, number formats in XLSX ---------------------------------------


def test_csv_for_indonesian_excel_has_semicolons_and_a_decimal_comma() -> None:
    row = ["Layanan; LLTT", 850_000_000, Decimal("63.5"), 12.25, -3, None, "=1+1"]
    sheet = Sheet("Realisasi", ["Kegiatan", "Anggaran (Rp)", "% anggaran", "Volume", "x", "y", "z"])
    sheet.rows.append(row)

    content = to_csv(sheet, "id")

    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8")[1:]
    assert text.splitlines()[1] == '"Layanan; LLTT";850000000;63,5;12,25;-3;;\'=1+1'
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed[1] == ["Layanan; LLTT", "850000000", "63,5", "12,25", "-3", "", "'=1+1"]
    # The standard dialect is unchanged: commas and a decimal point.
    standard = to_csv(sheet).decode("utf-8")[1:].splitlines()[1]
    assert standard == "Layanan; LLTT,850000000,63.5,12.25,-3,,'=1+1"
    assert render([sheet], "csv", "id") == content


def test_xlsx_money_and_percentages_carry_their_number_formats() -> None:
    row = [rupiah_cell(1_500_000), percent_cell(Decimal("63.5")), 12, rupiah_cell(None)]
    content = to_xlsx(
        [Sheet("Realisasi", ["Anggaran (Rp)", "% anggaran", "Volume", "Sisa"], [row])]
    )

    budget, share, volume, rest = _cells(content, "Realisasi")[1]
    assert (budget.value, budget.number_format) == (1_500_000, RUPIAH_FORMAT)
    assert (float(share.value), share.number_format) == (63.5, PERCENT_FORMAT)
    assert volume.number_format == "General"
    assert rest.value is None
    assert RUPIAH_FORMAT == '"Rp"#,##0' and PERCENT_FORMAT == '0.0#"%"'
