"""A kind declared as data out to Excel and CSV: its list as the list page shows it (same
filters, same access), and one case with its fields, tables, file and history, typed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.cases.models import DeclaredCase
from workflow_app.cases.operations import open_case
from workflow_app.extensions import db
from workflow_app.firing import fire

KIND = "sk_pokja"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_HEADERS = [
    "ID",
    "Kode",
    "Kabupaten/Kota",
    "Judul",
    "Jenis SK",
    "Nomor SK",
    "Tanggal SK",
    "Berlaku sampai tahun",
    "Catatan",
    "Status",
]


def _decree(
    drafter: User, code: str = "6301", *, number: str = "188.45/12/KUM/2026", **values: Any
) -> DeclaredCase:
    agency = factories.agency(code)
    typed = {
        "decree_kind": "formation",
        "decree_number": number,
        "decree_date": date(2026, 3, 2),
        "valid_until": 2029,
        "members": [
            {"name": "Ir. Rahmat", "agency": agency.id, "position": "chair"},
            {"name": "Siti Aminah", "agency": agency.id, "position": "secretary"},
            {"name": "=1+1", "agency": agency.id, "position": "member"},
        ],
        "notes": "Perlu diperbarui 2029",
    } | values
    files = {"signed_decree": FileStorage(io.BytesIO(PDF), "SK Pokja.pdf")}
    case = open_case(drafter, KIND, factories.regions()[code], typed, files)
    db.session.commit()
    return case


def _book(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.data))


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def drafter(users: dict[str, Any], app_ctx: Flask) -> FlaskClient:
    return signed_in(app_ctx, "drafter.6301")


def test_the_list_exports_as_the_page_shows_it_typed(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    first = _decree(users["drafter"])
    second = _decree(users["drafter"], number="188.45/13/KUM/2026", decree_kind="renewal")

    response = drafter.get(f"/cases/{KIND}/export.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="sk-pokja.xlsx"'
    (sheet,) = _book(response).worksheets
    assert sheet.title == "SK Pokja PKP"
    rows = _rows(sheet)
    assert rows[0] == [*LIST_HEADERS, "Tenggat (WITA)", "Terakhir diperbarui (WITA)"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {first.id, second.id}
    row = by_id[first.id]
    assert row[:4] == [first.id, "6301", "Tanah Laut", first.title]
    assert row[4:10] == ["Pembentukan", "188.45/12/KUM/2026", datetime(2026, 3, 2), 2029,
                         "Perlu diperbarui 2029", "Draf"]  # fmt: skip
    assert isinstance(row[7], int)
    assert row[10] is None  # a draft has no deadline
    assert isinstance(row[11], datetime)
    assert by_id[second.id][4] == "Pembaruan"

    # The same filters as the list page, from the same query string.
    filtered = _rows(_book(drafter.get(f"/cases/{KIND}/export.xlsx?decree_kind=renewal")).active)
    assert [row[0] for row in filtered[1:]] == [second.id]
    none = _rows(_book(drafter.get(f"/cases/{KIND}/export.xlsx?state=acknowledged")).active)
    assert none[1:] == []

    table = _csv(drafter.get(f"/cases/{KIND}/export.csv?decree_kind=formation&region=6301"))
    assert table[0][:10] == LIST_HEADERS
    assert [row[0] for row in table[1:]] == [str(first.id)]
    assert table[1][6:8] == ["2026-03-02", "2029"]


def test_the_list_page_links_its_exports_with_its_filters(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    page = drafter.get(f"/cases/{KIND}?decree_kind=renewal&state=").get_data(as_text=True)
    assert f'href="/cases/{KIND}/export.xlsx?decree_kind=renewal"' in page
    assert f'href="/cases/{KIND}/export.csv?decree_kind=renewal"' in page
    case = _decree(users["drafter"])
    page = drafter.get(f"/cases/{KIND}/{case.id}").get_data(as_text=True)
    assert f'href="/cases/{KIND}/{case.id}/export.xlsx"' in page
    assert f'href="/cases/{KIND}/{case.id}/export.csv"' in page


def test_one_case_exports_with_its_fields_tables_file_and_history(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    case = _decree(users["drafter"])
    fire(users["drafter"], case, "submit")
    db.session.commit()

    response = drafter.get(f"/cases/{KIND}/{case.id}/export.xlsx")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="sk-pokja-6301-{case.id}.xlsx"'
    )
    book = _book(response)
    assert book.sheetnames == ["SK Pokja PKP", "Susunan keanggotaan", "Riwayat"]
    facts = {row[0]: row[1] for row in _rows(book["SK Pokja PKP"])[1:]}
    assert facts["ID"] == case.id and facts["Kode"] == "6301"
    assert facts["Status"] == "Pemeriksaan Provinsi"
    assert isinstance(facts["Tenggat (WITA)"], datetime)
    assert facts["Jenis SK"] == "Pembentukan"
    assert facts["Tanggal SK"] == datetime(2026, 3, 2)
    assert facts["Berlaku sampai tahun"] == 2029
    assert facts["Berkas SK yang ditandatangani"] == "SK Pokja.pdf"
    assert "Susunan keanggotaan" not in facts  # a table has its own sheet

    members = book["Susunan keanggotaan"]
    rows = _rows(members)
    assert rows[0] == ["No.", "Nama", "OPD", "Kedudukan dalam Pokja"]
    assert rows[1] == [1, "Ir. Rahmat", "Dinas PUPR", "Ketua"]
    assert rows[3][1] == "=1+1"  # typed text, never a formula
    assert members.cell(row=4, column=2).data_type == "s"

    history = _rows(book["Riwayat"])
    assert history[0] == ["Waktu (WITA)", "Tindakan", "Dari status", "Ke status", "Oleh",
                          "Atas nama", "Komentar"]  # fmt: skip
    assert [row[1:4] for row in history[1:]] == [
        ["Dibuat", None, "Draf"],
        ["Ajukan ke Provinsi", "Draf", "Pemeriksaan Provinsi"],
    ]
    assert history[1][4] == "Drafter 6301 (drafter.6301)"

    table = _csv(drafter.get(f"/cases/{KIND}/{case.id}/export.csv"))
    assert table[0] == ["Isian", "Nilai"]
    assert ["Berlaku sampai tahun", "2029"] in table
    start = table.index(["Susunan keanggotaan"])
    assert table[start - 1] == [] and table[start + 1][0] == "No."
    assert table[start + 4] == ["3", "'=1+1", "Dinas PUPR", "Anggota"]  # neutralised in CSV
    history_at = table.index(["Riwayat"])
    assert [row[1] for row in table[history_at + 2 :]] == ["Dibuat", "Ajukan ke Provinsi"]


def test_headers_and_labels_follow_the_reader_s_language(
    users: dict[str, Any], app_ctx: Flask
) -> None:
    case = _decree(users["drafter"])
    english = factories.user("drafter.en", ("district_drafter", "6301"), language="en")
    db.session.commit()
    client = signed_in(app_ctx, english.username)
    rows = _rows(_book(client.get(f"/cases/{KIND}/export.xlsx")).active)
    assert rows[0][:5] == ["ID", "Code", "Region", "Title", "Kind of decree"]
    assert rows[1][4] == "Formation" and rows[1][9] == "Draft"
    book = _book(client.get(f"/cases/{KIND}/{case.id}/export.xlsx"))
    assert book.sheetnames == ["PKP working group decree", "Members", "History"]
    assert _rows(book["Members"])[1][3] == "Chair"


def test_another_district_s_case_is_not_found_and_not_listed(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    own = _decree(users["drafter"])
    other = _decree(users["other_drafter"], "6304", number="SK/6304")
    for fmt in ("xlsx", "csv"):
        assert drafter.get(f"/cases/{KIND}/{other.id}/export.{fmt}").status_code == 404
        assert drafter.get(f"/cases/{KIND}/{own.id}/export.{fmt}").status_code == 200
    listed = _rows(_book(drafter.get(f"/cases/{KIND}/export.xlsx")).active)
    assert [row[0] for row in listed[1:]] == [own.id]
    province = signed_in(app_ctx, "provincial.63")
    listed = _rows(_book(province.get(f"/cases/{KIND}/export.xlsx")).active)
    assert {row[0] for row in listed[1:]} == {own.id, other.id}
    regional = _rows(_book(province.get(f"/cases/{KIND}/export.xlsx?region=6304")).active)
    assert [row[0] for row in regional[1:]] == [other.id]
    # A partner sees drafts nowhere: not in the list, not one by one.
    partner = signed_in(app_ctx, "mitra.demo")
    assert _rows(_book(partner.get(f"/cases/{KIND}/export.xlsx")).active)[1:] == []
    assert partner.get(f"/cases/{KIND}/{own.id}/export.xlsx").status_code == 404


def test_unknown_formats_and_kinds_are_not_found(
    users: dict[str, Any], app_ctx: Flask, drafter: FlaskClient
) -> None:
    case = _decree(users["drafter"])
    assert drafter.get(f"/cases/{KIND}/export.pdf").status_code == 404
    assert drafter.get(f"/cases/{KIND}/{case.id}/export.pdf").status_code == 404
    assert drafter.get("/cases/permits/export.xlsx").status_code == 404
    assert drafter.get(f"/cases/permits/{case.id}/export.xlsx").status_code == 404
    assert drafter.get(f"/cases/{KIND}/{case.id + 100}/export.xlsx").status_code == 404
    anonymous = app_ctx.test_client().get(f"/cases/{KIND}/export.xlsx")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_percent_rupiah_and_decimal_stay_numbers(users: dict[str, Any], app_ctx: Flask) -> None:
    """The types sk_pokja does not use, through the sheet builder with a declared field of
    each (the cell writer is the same for every kind)."""
    from workflow_app.engine.case_spec import FieldSpec
    from workflow_app.engine.roles import Label
    from workflow_app.spreadsheets.declared_export import Cells, header

    cells = Cells("id")
    label = Label(id="Nilai", en="Value")
    assert cells(FieldSpec("a", "rupiah", label), 1_500_000) == 1_500_000
    assert cells(FieldSpec("b", "percent", label), "12.5") == Decimal("12.5")
    assert cells(FieldSpec("c", "decimal", label), "0.75") == Decimal("0.75")
    assert cells(FieldSpec("d", "date", label), "2026-01-31") == date(2026, 1, 31)
    assert cells(FieldSpec("e", "district", label), "6304") == "Barito Kuala"
    assert cells(FieldSpec("f", "text", label), None) is None
    assert header(FieldSpec("a", "rupiah", label), "id") == "Nilai (Rp)"
    assert header(FieldSpec("b", "percent", label), "en") == "Value (%)"
