"""Exports for Excel under Indonesian regional settings: beside the standard CSV (commas, a
decimal point), every CSV export offers one with semicolons and a decimal comma, UTF-8 with a
byte-order mark, so it opens in columns and 63,5 stays sixty-three and a half; the pages say
which is which. In XLSX, Rupiah cells carry a Rupiah number format and percentages a format
with a % sign (the value stays 0-100, as in the CSV)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from tests import factories
from tests.db.test_report_views import client_as
from tests.factories import DAK_KIND
from workflow_app.extensions import db
from workflow_app.spreadsheets.tabular import PERCENT_FORMAT, RUPIAH_FORMAT

BOM = "\ufeff".encode()


def indonesian_csv(response: TestResponse) -> list[list[str]]:
    """The rows of a CSV for Indonesian Excel, as Excel would split them."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(BOM)
    assert '-excel-id.csv"' in response.headers["Content-Disposition"]
    text = response.data[len(BOM) :].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows[0]) > 1  # opens in columns
    return rows


def standard_csv(response: TestResponse) -> list[list[str]]:
    assert response.status_code == 200
    assert response.data.startswith(BOM)
    return list(csv.reader(io.StringIO(response.data[len(BOM) :].decode("utf-8"))))


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def book_of(response: TestResponse) -> Any:
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


# --- a plan ------------------------------------------------------------------------------------


def test_a_plan_exports_for_indonesian_excel_and_the_page_says_which_csv_is_which(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    client = client_as(app_ctx, "drafter.6301")

    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    standard = re.search(r'<a [^>]*id="export-csv"[^>]*>([^<]*)</a>', page)
    excel_id = re.search(r'<a [^>]*id="export-csv-id"[^>]*href="([^"]*)"[^>]*>([^<]*)</a>', page)
    assert standard and "CSV" in standard.group(1)
    assert excel_id and excel_id.group(1) == f"/plans/{plan.id}/export.csv?dialect=id"
    assert excel_id.group(2) != standard.group(1)  # labelled apart

    rows = indonesian_csv(client.get(f"/plans/{plan.id}/export.csv?dialect=id"))
    assert "300,50" in column(rows, "Volume")  # the decimal comma
    assert "1350000000" in column(rows, rows[0][-1])  # whole Rupiah, ungrouped

    # The standard CSV is as it always was: commas and a decimal point.
    plain = standard_csv(client.get(f"/plans/{plan.id}/export.csv"))
    assert "300.50" in column(plain, "Volume")
    assert len(plain) == len(rows) and plain[0] == rows[0]

    assert client.get(f"/plans/{plan.id}/export.csv?dialect=fr").status_code == 404


def test_a_plan_s_xlsx_shows_rupiah_and_percentages_with_their_formats(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    book = book_of(client_as(app_ctx, "drafter.6301").get(f"/plans/{plan.id}/export.xlsx"))

    funding = book["Pendanaan"]
    amounts = [row[3] for row in funding.iter_rows(min_row=2) if row[3].value is not None]
    assert amounts and all(cell.number_format == RUPIAH_FORMAT for cell in amounts)
    assert 1_350_000_000 in [cell.value for cell in amounts]  # the value stays a plain amount

    indicators = book["Indikator"]
    percent_row = next(row for row in indicators.iter_rows(min_row=2) if row[1].value == "%")
    targets = [cell for cell in percent_row[4:] if cell.value is not None]
    assert targets and all(cell.number_format == PERCENT_FORMAT for cell in targets)
    assert percent_row[3].value == 6 and percent_row[3].number_format == PERCENT_FORMAT


# --- reports -----------------------------------------------------------------------------------


def test_reports_export_for_indonesian_excel_and_format_their_money_and_percentages(
    app_ctx: Flask, users: dict
) -> None:
    _plan, report = factories.reported_plan(users)  # 45 %, Rp540.000.000 of Rp850.000.000
    client = client_as(app_ctx, "provincial.63")

    rows = indonesian_csv(client.get("/reports/export.csv?year=2026&quarter=3&dialect=id"))
    assert column(rows, "% anggaran") == ["63,5"]
    assert column(rows, "Realisasi keuangan (Rp)") == ["540000000"]
    assert column(rows, "Progres fisik (%)") == ["45,00"]
    one = indonesian_csv(client.get(f"/reports/{report.id}/export.csv?dialect=id"))
    assert column(one, "% anggaran") == ["63,5"]
    plain = standard_csv(client.get("/reports/export.csv?year=2026&quarter=3"))
    assert column(plain, "% anggaran") == ["63.5"]

    sheet = book_of(client.get("/reports/export.xlsx?year=2026&quarter=3")).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    line = sheet[2]
    for header in ("Anggaran tahun berjalan (Rp)", "Realisasi keuangan (Rp)"):
        assert line[headers.index(header)].number_format == RUPIAH_FORMAT
    spent = line[headers.index("% anggaran")]
    assert (float(spent.value), spent.number_format) == (63.5, PERCENT_FORMAT)
    assert line[headers.index("Progres fisik (%)")].number_format == PERCENT_FORMAT


def test_the_reports_page_offers_both_csv_files_with_its_filters(
    app_ctx: Flask, users: dict
) -> None:
    factories.reported_plan(users)
    page = client_as(app_ctx, "provincial.63").get("/reports?year=2026&quarter=3")
    links = re.findall(r'id="export-csv(-id)?" href="([^"]*)"', page.get_data(as_text=True))
    by_id = {suffix: href.replace("&amp;", "&") for suffix, href in links}
    assert "dialect" not in by_id[""] and "year=2026" in by_id[""]
    assert by_id["-id"] == by_id[""] + "&dialect=id"


# --- the dashboard and a declared kind -----------------------------------------------------------


def test_the_dashboard_exports_for_indonesian_excel(app_ctx: Flask, users: dict) -> None:
    factories.reported_plan(users, figures=((Decimal("45.5"), 540_000_000),))
    client = client_as(app_ctx, "provincial.63")

    page = client.get("/dashboard?year=2026").get_data(as_text=True)
    assert 'data-table="realisation" data-dialect="id"' in page

    url = "/dashboard/export.csv?year=2026&table=realisation&district=6301"
    rows = indonesian_csv(client.get(url + "&dialect=id"))
    assert rows[1][:4] == ["6301", "Tanah Laut", "2026", "TW III"]
    assert rows[1][4:] == ["850000000", "540000000", "45,5", "63,5"]
    assert standard_csv(client.get(url))[1][4:] == ["850000000", "540000000", "45.5", "63.5"]

    book = book_of(client.get("/dashboard/export.xlsx?year=2026&district=6301"))
    realisation = book.worksheets[2]
    budget, spent, physical, financial = next(realisation.iter_rows(min_row=2))[4:8]
    assert {budget.number_format, spent.number_format} == {RUPIAH_FORMAT}
    assert {physical.number_format, financial.number_format} == {PERCENT_FORMAT}
    assert float(physical.value) == 45.5


def test_a_declared_case_exports_for_indonesian_excel(
    app_ctx: Flask, users: dict, client: FlaskClient
) -> None:
    case = factories.dak_proposal(users["drafter"])
    db.session.commit()
    reader = client_as(app_ctx, "drafter.6301")
    url = f"/cases/{DAK_KIND}/{case.id}/export"

    rows = indonesian_csv(reader.get(f"{url}.csv?dialect=id"))
    assert any("1140000000" in row for row in rows)

    book = book_of(reader.get(f"{url}.xlsx"))
    facts = book.worksheets[0]
    total = next(row[1] for row in facts.iter_rows(min_row=2) if row[1].value == 1_140_000_000)
    assert total.number_format == RUPIAH_FORMAT
    listed = indonesian_csv(reader.get(f"/cases/{DAK_KIND}/export.csv?dialect=id"))
    assert len(listed) == 2
