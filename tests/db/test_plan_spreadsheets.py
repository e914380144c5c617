"""A plan out to Excel and CSV, its activities back in from Excel, and its printable page, as the
people who use them would: through the web pages, with real workbooks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext, ngettext
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token, login
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan, Activity
from workflow_app.spreadsheets import activity_import, layout

ACTIVITY_HEADERS = list(layout.ACTIVITY_HEADERS)
FUNDING_HEADERS = list(layout.FUNDING_HEADERS)
FORMULAS = ['=HYPERLINK("http://example.test/x","klik")', "+1", "-2", "@SUM(A1:A3)"]


# --- helpers -------------------------------------------------------------------------------


def said(message: str, **values: Any) -> str:
    """`message` as the drafter (language "id") reads it."""
    with force_locale("id"):
        return gettext(message, **values)


def workbook(
    activities: Sequence[Sequence[Any]],
    funding: Sequence[Sequence[Any]] = (),
    *,
    activity_headers: Sequence[str] = ACTIVITY_HEADERS,
    funding_headers: Sequence[str] | None = FUNDING_HEADERS,
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = layout.ACTIVITY_SHEET
    for row in [activity_headers, *activities]:
        sheet.append(list(row))
    if funding_headers is not None:
        sheet = book.create_sheet(layout.FUNDING_SHEET)
        for row in [funding_headers, *funding]:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def activity_row(number: int = 1, **changes: Any) -> list[Any]:
    row = {
        "No.": number,
        "Sub-sektor": "Air limbah domestik",
        "Jenis kegiatan": "LLTT",
        "Nama kegiatan": f"Kegiatan {number}",
        "Lokasi (kecamatan/desa)": "Kec. Pelaihari",
        "Volume": 10,
        "Satuan": "unit",
        "OPD penanggung jawab": "Dinas PUPR",
        "Tahun mulai": 2026,
        "Tahun selesai": 2027,
    }
    row.update({key.replace("_", " "): value for key, value in changes.items()})
    return [row[header] for header in ACTIVITY_HEADERS]


def new_plan(drafter: Any, code: str = "6301", title: str = "Rencana kosong") -> ActionPlan:
    plan = ops.create_plan(
        drafter, factories.regions()[code], title=title, period_start=2025, period_end=2029
    )
    db.session.commit()
    return plan


def upload(
    client: FlaskClient,
    plan_id: int,
    content: bytes,
    *,
    replace: bool = False,
    filename: str = "kegiatan.xlsx",
    version: int | None = None,
) -> TestResponse:
    token = csrf_token(client, f"/plans/{plan_id}/import")
    if version is None:
        db.session.expire_all()
        version = db.session.get(ActionPlan, plan_id).version
    data: dict[str, Any] = {
        "csrf_token": token,
        "version": str(version),
        "workbook": (io.BytesIO(content), filename),
    }
    if replace:
        data["replace"] = "y"
    return client.post(f"/plans/{plan_id}/import", data=data, content_type="multipart/form-data")


def page(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def row_errors(response: TestResponse) -> set[tuple[str, int, str]]:
    """(sheet, row, column) of every problem in the page's error table."""
    pattern = r'class="import-error" data-sheet="([^"]*)" data-row="(\d+)" data-column="([^"]*)"'
    return {
        (unescape(s), int(r), unescape(c))
        for s, r, c in re.findall(pattern, response.get_data(as_text=True))
    }


def refusal(response: TestResponse) -> str:
    match = re.search(r'id="refusal">([^<]*)<', page(response))
    assert match, "no refusal shown"
    return match.group(1)


def contents(plan_id: int) -> list[tuple[Any, ...]]:
    """What a reader of the plan sees of its activities, in order."""
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    return [
        (
            a.sub_sector,
            a.activity_type,
            a.title,
            a.location,
            a.volume,
            a.unit,
            a.agency_id,
            a.start_year,
            a.end_year,
            sorted((f.year, f.source, f.amount) for f in a.funding),
        )
        for a in plan.activities
    ]


def version_of(plan_id: int) -> int:
    db.session.expire_all()
    return db.session.get(ActionPlan, plan_id).version


# --- export --------------------------------------------------------------------------------


def test_xlsx_export_holds_the_whole_plan(client: FlaskClient, users: dict[str, Any]) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    login(client, "drafter.6301")

    response = client.get(f"/plans/{plan.id}/export.xlsx")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Rencana", "Permasalahan", "Indikator", "Kegiatan", "Pendanaan"]
    facts = [c.value for c in book["Rencana"][2]]
    assert facts[:6] == ["Tanah Laut", "6301", "2025–2029", "Rencana Aksi", "Draf", plan.version]
    assert [c.value for c in book["Permasalahan"][2]] == [1, "Cakupan LLTT masih rendah"]
    indicator_headers = [c.value for c in book["Indikator"][1]]
    assert indicator_headers[4:] == [f"Target {y}" for y in range(2025, 2030)]
    assert [c.value for c in book["Indikator"][2]][2:] == [2024, 6, 6, 9, 12, 15, 18]
    assert [c.value for c in book["Kegiatan"][1]] == ACTIVITY_HEADERS
    assert [c.value for c in book["Pendanaan"][1]] == FUNDING_HEADERS
    # complete_plan's activity first, then the three of plan_with_activities.
    assert [c.value for c in book["Kegiatan"][3]] == [
        2,
        "Air limbah domestik",
        "SPALD-S",
        "SPALD-S untuk 300 rumah tangga",
        "Desa Ambungan, Kec. Pelaihari",
        300.5,
        "RT",
        "Dinas Perkim",
        2026,
        2027,
    ]
    assert book["Kegiatan"]["H4"].value == "Dinas PUPR Provinsi"
    assert book["Kegiatan"]["H5"].value is None  # no agency chosen yet
    funding = [[c.value for c in row] for row in book["Pendanaan"].iter_rows(min_row=2)]
    assert funding == [
        [1, 2026, "APBD Kabupaten/Kota", 850_000_000],
        [2, 2026, "DAK", 1_350_000_000],
        [2, 2026, "Swadaya masyarakat", 90_000_000],
        [2, 2027, "APBD Kabupaten/Kota", 125_500_000],
        [3, 2025, "APBD Provinsi", 400_000_000],
    ]


def test_csv_export_has_one_row_per_funding_line(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    login(client, "drafter.6301")

    response = client.get(f"/plans/{plan.id}/export.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ACTIVITY_HEADERS + FUNDING_HEADERS[1:]
    by_number = [(r[0], r[3], r[10], r[11], r[12]) for r in rows[1:]]
    assert by_number == [
        ("1", "Layanan LLTT", "2026", "APBD Kabupaten/Kota", "850000000"),
        ("2", "SPALD-S untuk 300 rumah tangga", "2026", "DAK", "1350000000"),
        ("2", "SPALD-S untuk 300 rumah tangga", "2026", "Swadaya masyarakat", "90000000"),
        ("2", "SPALD-S untuk 300 rumah tangga", "2027", "APBD Kabupaten/Kota", "125500000"),
        ("3", "DED TPST kabupaten", "2025", "APBD Provinsi", "400000000"),
        ("4", "Perbup air limbah domestik", "", "", ""),  # no funding: one row, empty columns
    ]


def test_formulas_typed_into_a_plan_are_neutralised_in_both_formats(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    for index, text in enumerate(FORMULAS):
        data = ops.ActivityData(
            sub_sector="wastewater",
            activity_type="other",
            title=text,
            location=f"=cmd|' /C calc'!A{index}",
            volume=None,
            unit="",
            agency_id=None,
            start_year=2026,
            end_year=2026,
        )
        ops.add_activity(users["drafter"], plan, expected_version=None, data=data)
    db.session.commit()
    login(client, "drafter.6301")

    book = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/export.xlsx").data))
    titles = [row[3] for row in book["Kegiatan"].iter_rows(min_row=3)]
    assert [cell.value for cell in titles] == FORMULAS
    for cell in titles:
        assert (cell.data_type, cell.quotePrefix) == ("s", True), cell.value
    location = book["Kegiatan"].cell(row=3, column=5)
    assert (location.data_type, location.quotePrefix) == ("s", True)

    text = client.get(f"/plans/{plan.id}/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[3] for row in rows[2:]] == ["'" + f for f in FORMULAS]
    assert all(row[4].startswith("'=cmd") for row in rows[2:])


def test_unknown_format_is_not_found(client: FlaskClient, users: dict[str, Any]) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    login(client, "drafter.6301")

    assert client.get(f"/plans/{plan.id}/export.ods").status_code == 404
    assert client.get(f"/plans/{plan.id}/export.xlsx").status_code == 200


# --- access --------------------------------------------------------------------------------


def test_another_districts_drafter_gets_not_found_everywhere(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before, version = contents(plan.id), version_of(plan.id)
    login(client, "drafter.6304")

    for url in (
        f"/plans/{plan.id}/export.xlsx",
        f"/plans/{plan.id}/export.csv",
        f"/plans/{plan.id}/print",
        f"/plans/{plan.id}/import",
        f"/plans/{plan.id}/import-template.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/plans")
    response = client.post(
        f"/plans/{plan.id}/import",
        data={
            "csrf_token": token,
            "version": str(plan.version),
            "workbook": (io.BytesIO(workbook([activity_row()])), "k.xlsx"),
            "replace": "y",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert (contents(plan.id), version_of(plan.id)) == (before, version)


def test_partner_exports_a_published_plan_but_not_a_draft(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    approved = factories.plan_in_state(users, "approved")
    draft = factories.complete_plan(users["drafter"], title="Draf baru")
    db.session.commit()
    login(client, "mitra.demo")

    response = client.get(f"/plans/{approved.id}/export.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data))["Rencana"]["E2"].value == "Disetujui"
    assert client.get(f"/plans/{approved.id}/export.csv").status_code == 200
    assert client.get(f"/plans/{approved.id}/print").status_code == 200
    assert client.get(f"/plans/{draft.id}/export.xlsx").status_code == 404
    assert client.get(f"/plans/{draft.id}/print").status_code == 404
    # Reading is not writing: no import for a partner.
    assert client.get(f"/plans/{approved.id}/import").status_code in (403, 409)


def test_plan_page_offers_exports_to_viewers_and_import_to_the_drafter(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()

    login(client, "reviewer.6301")
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert f'href="/plans/{plan.id}/export.xlsx"' in html
    assert f'href="/plans/{plan.id}/export.csv"' in html
    assert f'href="/plans/{plan.id}/print"' in html
    assert 'id="import-link"' not in html

    drafter = client.application.test_client()
    login(drafter, "drafter.6301")
    html = drafter.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert f'id="import-link" href="/plans/{plan.id}/import"' in html


# --- the import ----------------------------------------------------------------------------


def test_round_trip_export_then_import_gives_the_same_activities(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    source = factories.plan_with_activities(users["drafter"])
    ops.add_activity(
        users["drafter"],
        source,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="drainage",
            activity_type="other",
            title=FORMULAS[0],
            location="-2",
            volume=Decimal("0.25"),
            unit="km",
            agency_id=factories.agency("6301", "DLH").id,
            start_year=2025,
            end_year=2029,
            funding=[ops.FundingData(year=2029, source="csr", amount=0)],
        ),
    )
    db.session.commit()
    login(client, "drafter.6301")
    exported = client.get(f"/plans/{source.id}/export.xlsx").data
    # The district starts its plan for 2025–2029 again from the export: one live plan per
    # district and period, so the old one is withdrawn first.
    ops.transition(users["drafter"], source, "withdraw")
    target = new_plan(users["drafter"])

    response = upload(client, target.id, exported)

    assert response.status_code == 303, page(response)
    assert response.headers["Location"].endswith(f"/plans/{target.id}")
    assert len(contents(source.id)) == 5
    assert contents(target.id) == contents(source.id)
    flash = page(client.get(f"/plans/{target.id}"))
    with force_locale("id"):
        imported = ngettext(
            "%(num)d activity was imported.", "%(num)d activities were imported.", 5
        )
    assert imported in flash


def test_import_replaces_current_activities_only_when_confirmed(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before, version = contents(plan.id), version_of(plan.id)
    login(client, "drafter.6301")
    assert 'id="replace-warning"' in client.get(f"/plans/{plan.id}/import").get_data(as_text=True)
    content = workbook([activity_row(1), activity_row(2)], [[2, 2027, "APBN", 5_000_000]])

    refused = upload(client, plan.id, content)
    assert refused.status_code == 400
    assert 'id="replace-error"' in refused.get_data(as_text=True)
    assert 'id="replace-warning"' in refused.get_data(as_text=True)
    assert (contents(plan.id), version_of(plan.id)) == (before, version)

    done = upload(client, plan.id, content, replace=True)
    assert done.status_code == 303
    assert [row[2] for row in contents(plan.id)] == ["Kegiatan 1", "Kegiatan 2"]
    assert contents(plan.id)[1][-1] == [(2027, "apbn", 5_000_000)]
    assert version_of(plan.id) > version


def test_every_invalid_row_is_reported_and_nothing_is_saved(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before, version = contents(plan.id), version_of(plan.id)
    activities = [
        activity_row(1),  # row 2: valid
        activity_row(2, **{"Sub-sektor": "Listrik"}),  # row 3
        activity_row(3, **{"Tahun mulai": 2028, "Tahun selesai": 2026}),  # row 4
        activity_row(4, **{"Tahun selesai": 2031, "Nama kegiatan": None}),  # row 5: two cells
        [None] * len(ACTIVITY_HEADERS),  # row 6: empty, skipped
        activity_row(5, **{"OPD penanggung jawab": "Dinas Pariwisata"}),  # row 7
        activity_row(1),  # row 8: number 1 again
        activity_row(6, Volume="banyak"),  # row 9
    ]
    funding = [
        [1, 2026, "APBN", 1_000_000],  # row 2: valid
        [9, 2026, "APBN", 1_000_000],  # row 3: no activity 9
        [1, 2029, "APBN", 1_000_000],  # row 4: outside activity 1's 2026–2027
        [1, 2026, "APBN", 2_000_000],  # row 5: same activity, year and source as row 2
        [1, 2027, "Kas desa", 1_000_000],  # row 6: unknown source
        [1, 2027, "DAK", -5],  # row 7: negative
        [1, 2027, "CSR", "1,5 juta"],  # row 8: not an amount
        [1, 2027, "Dana Desa", None],  # row 9: required
    ]
    login(client, "drafter.6301")

    response = upload(client, plan.id, workbook(activities, funding), replace=True)

    assert response.status_code == 400
    assert row_errors(response) == {
        ("Kegiatan", 3, "Sub-sektor"),
        ("Kegiatan", 4, "Tahun selesai"),
        ("Kegiatan", 5, "Nama kegiatan"),
        ("Kegiatan", 5, "Tahun selesai"),
        ("Kegiatan", 7, "OPD penanggung jawab"),
        ("Kegiatan", 8, "No."),
        ("Kegiatan", 9, "Volume"),
        ("Pendanaan", 3, "No."),
        ("Pendanaan", 4, "Tahun"),
        ("Pendanaan", 5, "Sumber dana"),
        ("Pendanaan", 6, "Sumber dana"),
        ("Pendanaan", 7, "Jumlah (Rp)"),
        ("Pendanaan", 8, "Jumlah (Rp)"),
        ("Pendanaan", 9, "Jumlah (Rp)"),
    }
    html = page(response)
    assert "Dinas Pariwisata" in html and "Dinkes" in html  # the valid agencies are named
    assert said("The amount cannot be negative.") in html
    assert (contents(plan.id), version_of(plan.id)) == (before, version)


def test_amounts_labels_and_codes_are_accepted_in_the_ways_people_write_them(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = new_plan(users["drafter"])
    activities = [
        activity_row(1),
        activity_row(
            7,
            **{
                "Sub-sektor": "solid_waste",
                "Jenis kegiatan": "  study/ded ",
                "OPD penanggung jawab": "dinas pupr provinsi",
                "Volume": "12,5",
                "Tahun mulai": "2025",
                "Tahun selesai": 2025.0,
            },
        ),
        activity_row(3, **{"Sub-sektor": "Hygiene behaviour (STBM)", "OPD penanggung jawab": None}),
    ]
    funding = [
        [1, 2026, "APBN", 1500000],
        [1, 2027, "apbd_district", "1.500.000"],
        [7, 2025, "Provincial budget (APBD Provinsi)", "Rp1.500.000"],
        [7.0, "2025", "csr", "Rp 2.000.000,00"],
    ]
    login(client, "drafter.6301")

    response = upload(client, plan.id, workbook(activities, funding))

    assert response.status_code == 303, row_errors(response) or page(response)
    first, second, third = contents(plan.id)
    assert first[-1] == [(2026, "apbn", 1_500_000), (2027, "apbd_district", 1_500_000)]
    assert second[:2] == ("solid_waste", "study_ded")
    assert second[4] == Decimal("12.5")
    assert second[6] == factories.agency("63", "Dinas PUPR Provinsi").id
    assert second[-1] == [(2025, "apbd_province", 1_500_000), (2025, "csr", 2_000_000)]
    assert (third[0], third[6], third[-1]) == ("hygiene", None, [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"No.;Nama kegiatan\n1;LLTT\n",
            "The file is not an Excel workbook (.xlsx). Use the import template.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
            "This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx).",
        ),
        (
            b"PK\x03\x04 broken",
            "The file is not an Excel workbook (.xlsx). Use the import template.",
        ),
    ],
)
def test_a_file_that_is_not_an_xlsx_gets_one_clear_error(
    client: FlaskClient, users: dict[str, Any], content: bytes, message: str
) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")

    response = upload(client, plan.id, content, filename="kegiatan.xlsx")

    assert response.status_code == 400
    assert refusal(response) == said(message)
    assert row_errors(response) == set()
    assert contents(plan.id) == []


def test_a_missing_sheet_wrong_headers_or_no_rows_get_one_clear_error(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")

    no_funding_sheet = upload(client, plan.id, workbook([activity_row()], funding_headers=None))
    assert no_funding_sheet.status_code == 400
    assert refusal(no_funding_sheet) == said(
        "The workbook has no sheet “%(sheet)s”. Use the import template.", sheet="Pendanaan"
    )

    headers = [h if h != "Tahun mulai" else "Mulai" for h in ACTIVITY_HEADERS]
    wrong = upload(client, plan.id, workbook([activity_row()], activity_headers=headers))
    assert wrong.status_code == 400
    assert "“Tahun mulai”" in refusal(wrong)

    empty = upload(client, plan.id, workbook([]))
    assert empty.status_code == 400
    assert refusal(empty) == said("Sheet “%(sheet)s” has no activities.", sheet="Kegiatan")
    assert contents(plan.id) == []


def test_too_large_files_and_too_many_rows_are_refused(
    client: FlaskClient, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")
    limit = activity_import.MAX_BYTES
    message = said("The file is larger than %(size)d MB.", size=5)

    just_over = upload(client, plan.id, b"PK\x03\x04" + b"\x00" * limit)
    assert just_over.status_code == 400
    assert refusal(just_over) == message

    far_over = upload(client, plan.id, b"PK\x03\x04" + b"\x00" * (limit + 200_000))
    assert far_over.status_code == 413
    assert refusal(far_over) == message

    monkeypatch.setattr(activity_import, "MAX_ACTIVITIES", 3)
    too_many = upload(client, plan.id, workbook([activity_row(n) for n in range(1, 5)]))
    assert too_many.status_code == 400
    assert refusal(too_many) == said(
        "Sheet “%(sheet)s” has more than %(count)d rows.", sheet="Kegiatan", count=3
    )
    assert contents(plan.id) == []


def test_a_stale_version_is_refused_as_changed_by_someone_else(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = new_plan(users["drafter"])
    seen = plan.version
    ops.replace_challenges(users["drafter"], plan, expected_version=None, descriptions=["Baru"])
    db.session.commit()
    login(client, "drafter.6301")

    response = upload(client, plan.id, workbook([activity_row()]), version=seen)

    assert response.status_code == 409
    assert "refusal" in response.get_data(as_text=True)
    assert contents(plan.id) == []


def test_a_plan_under_review_cannot_be_imported_into(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    login(client, "drafter.6301")

    assert client.get(f"/plans/{plan.id}/import").status_code == 409


# --- the template --------------------------------------------------------------------------


def test_template_lists_valid_values_and_imports_once_filled_in(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")

    response = client.get(f"/plans/{plan.id}/import-template.xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Kegiatan", "Pendanaan", "Petunjuk"]
    assert [c.value for c in book["Kegiatan"][1]] == ACTIVITY_HEADERS
    assert [c.value for c in book["Pendanaan"][1]] == FUNDING_HEADERS
    guide = {cell.value for row in book["Petunjuk"].iter_rows() for cell in row}
    assert {"Persampahan", "IPLT", "Dana Desa", "Dinkes", "Dinas PUPR Provinsi", 2029} <= guide
    dropdowns = {str(dv.sqref): dv for dv in book["Kegiatan"].data_validations.dataValidation}
    assert dropdowns["B2:B2001"].type == "list"
    assert dropdowns["B2:B2001"].formula1.startswith("'Petunjuk'!")
    # Sent back unchanged it imports nothing (the example is on the guide sheet only).
    unchanged = upload(client, plan.id, response.data)
    assert unchanged.status_code == 400
    assert contents(plan.id) == []

    filled = load_workbook(io.BytesIO(response.data))
    filled["Kegiatan"].append(activity_row(1))
    filled["Pendanaan"].append([1, 2026, "DAK", 750_000_000])
    buffer = io.BytesIO()
    filled.save(buffer)
    assert upload(client, plan.id, buffer.getvalue()).status_code == 303
    assert contents(plan.id)[0][-1] == [(2026, "dak", 750_000_000)]


# --- the printable page --------------------------------------------------------------------


def test_print_page_has_every_section_totals_and_signatures_from_history(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    # Two added activities: the third has neither agency nor funding, so it could not be sent.
    plan = factories.plan_with_activities(users["drafter"], activities=2)
    for who, trigger in (("drafter", "submit"), ("reviewer", "forward"), ("provincial", "approve")):
        ops.transition(users[who], plan, trigger)
    db.session.commit()
    login(client, "head.6301")

    response = client.get(f"/plans/{plan.id}/print")

    assert response.status_code == 200
    html = page(response)
    for section in ("challenges", "indicators", "activities", "funding", "history", "signatures"):
        assert f'id="print-{section}"' in html
    assert "Cakupan LLTT masih rendah" in html and "DED TPST kabupaten" in html
    assert 'class="num grand-total" data-amount="2815500000"' in html
    assert '<tr data-source="apbd_district">' in html
    assert 'class="num year-total" data-year="2026" data-amount="2290000000"' in html
    assert html.count('class="print-history-row"') == 4
    assert re.search(r'data-role="prepared" data-user="drafter.6301"', html)
    assert re.search(r'data-role="reviewed" data-user="reviewer.6301"', html)
    assert re.search(r'data-role="approved" data-user="provincial.63"', html)
    assert "@media print" in client.get("/static/app.css").get_data(as_text=True)


def test_print_page_of_a_draft_leaves_review_and_approval_unsigned(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = factories.plan_in_state(users, "returned")
    login(client, "drafter.6301")

    html = page(client.get(f"/plans/{plan.id}/print"))

    # Submitted once, then returned: the drafter prepared it, nobody forwarded or approved.
    assert re.search(r'data-role="prepared" data-user="drafter.6301"', html)
    assert re.search(r'data-role="reviewed">', html)
    assert re.search(r'data-role="approved">', html)


def test_activity_count_matches_after_import(client: FlaskClient, users: dict[str, Any]) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")

    rows = [activity_row(n) for n in range(1, 41)]
    assert upload(client, plan.id, workbook(rows)).status_code == 303

    count = db.session.scalar(select(func.count(Activity.id)).where(Activity.plan_id == plan.id))
    assert count == 40
    positions = [a.position for a in db.session.get(ActionPlan, plan.id).activities]
    assert positions == list(range(40))


def test_an_upload_without_the_forms_csrf_token_is_refused(
    client: FlaskClient, users: dict[str, Any]
) -> None:
    plan = new_plan(users["drafter"])
    login(client, "drafter.6301")

    response = client.post(
        f"/plans/{plan.id}/import",
        data={
            "version": str(plan.version),
            "workbook": (io.BytesIO(workbook([activity_row()])), "k.xlsx"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert contents(plan.id) == []


def test_replace_activities_checks_role_and_agency_like_add_activity(
    users: dict[str, Any],
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before, version = contents(plan.id), version_of(plan.id)
    plan = db.session.get(ActionPlan, plan.id)
    data = ops.ActivityData(
        sub_sector="wastewater",
        activity_type="lltt",
        title="LLTT",
        location="Marabahan",
        volume=None,
        unit="",
        agency_id=factories.agency("6304").id,  # another district's agency
        start_year=2026,
        end_year=2026,
    )

    with pytest.raises(ops.InvalidInput):
        ops.replace_activities(users["drafter"], plan, expected_version=version, activities=[data])
    db.session.rollback()
    with pytest.raises(ops.RoleNotAllowed):
        ops.replace_activities(users["reviewer"], plan, expected_version=version, activities=[])
    db.session.rollback()
    with pytest.raises(ops.StaleObject):
        ops.replace_activities(users["drafter"], plan, expected_version=version - 1, activities=[])
    db.session.rollback()

    assert (contents(plan.id), version_of(plan.id)) == (before, version)
