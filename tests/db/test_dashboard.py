"""The provincial dashboard: its numbers on a small known dataset, who may open it and what
each role sees, the filters, the export, every chart against its table, and a query count that
does not grow with the number of plans."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import event, select

from tests import factories
from tests.conftest import signed_in
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.monitoring import operations as report_ops
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans import operations as plan_ops
from workflow_app.plans.models import ActionPlan, Indicator
from workflow_app.unit_of_work import unit_of_work

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)
_CELL = re.compile(r'<td[^>]*? data-row="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"')
_MARK = re.compile(
    r'<(?:rect|circle) class="(?:bar|point)"[^>]*? data-row="([^"]*)" '
    r'data-series="([^"]*)" data-value="([^"]*)"'
)

Cells = dict[tuple[str, str], Decimal]


def _page(client: FlaskClient, url: str = "/dashboard?year=2026", status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def _blocks(section: str, kind: str) -> dict[str, str]:
    """The per-district blocks of a section (realisation, trajectories) by region code."""
    parts = re.split(rf'(<div class="row g-3 mb-2 {kind}-district" data-region="\d+">)', section)
    return {
        re.search(r'data-region="(\d+)"', head).group(1): body
        for head, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def _cells(html: str) -> Cells:
    return {(row, series): Decimal(value) for row, series, value in _CELL.findall(html) if value}


def _marks(html: str) -> Cells:
    svg = "".join(re.findall(r"<svg .*?</svg>", html, re.S))
    return {(row, series): Decimal(value) for row, series, value in _MARK.findall(svg)}


def _regions(html: str) -> set[str]:
    return set(re.findall(r'<tr data-region="(\d+)"', html))


def _add_report(plan: ActionPlan, drafter: User, quarter: Quarter, figures, value=None) -> None:
    """Another quarter's report on `plan`, filled in and submitted."""
    report = report_ops.open_report(system_user(), plan, quarter, current_calendar())
    assert report is not None
    lines = [
        report_ops.LineData(line.activity_id, physical, spent)
        for line, (physical, spent) in zip(report.lines, figures, strict=True)
    ]
    values = {plan.indicators[0].id: value} if value is not None else None
    report_ops.save_report(
        drafter, report, expected_version=None, lines=lines, indicator_values=values
    )
    report_ops.report_transition(drafter, report, "submit")
    db.session.commit()


@pytest.fixture
def known(app_ctx: Flask, users: dict[str, User]) -> dict[str, ActionPlan]:
    """6301: a monitored plan (LLTT Rp850.000.000 + STBM Rp250.000.000 in 2026) with submitted
    reports for TW II and TW III 2026; 6304: a monitored plan with a verified TW III report;
    6371: a draft."""
    tanah_laut, _report = factories.reported_plan(
        users,
        "6301",
        figures=((Decimal(45), 540_000_000), (Decimal(80), 200_000_000)),
        hygiene_budget=250_000_000,
        safe_sanitation=Decimal("7.5"),
    )
    _add_report(
        tanah_laut,
        users["drafter"],
        Q2,
        ((Decimal(30), 200_000_000), (Decimal(50), 100_000_000)),
        Decimal(7),
    )
    barito, _report = factories.reported_plan(
        users,
        "6304",
        figures=((Decimal(60), 425_000_000),),
        safe_sanitation=Decimal(8),
        report_state="verified",
    )
    banjarmasin = factories.plan_in_state(factories.district_people(users, "6371"), "draft", "6371")
    return {"6301": tanah_laut, "6304": barito, "6371": banjarmasin}


# --- numbers ----------------------------------------------------------------------------------


def test_each_section_shows_the_numbers_of_a_known_dataset(app_ctx, users, known) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"))

    plans = _cells(_section(page, "plans-by-state"))
    assert plans[("6301", "monitored")] == 1
    assert plans[("6304", "monitored")] == 1
    assert plans[("6371", "draft")] == 1
    assert plans[("6302", "draft")] == 0
    assert 'class="num grand-total" data-value="3"' in page
    # All 13 districts are rows for the province.
    assert len(_regions(_section(page, "plans-by-state"))) == 13

    realisation = _blocks(_section(page, "realisation"), "realisation")
    assert set(realisation) == {"6301", "6304"}
    tanah_laut = _cells(realisation["6301"])
    # TW III: (45 × 850 + 80 × 250) / 1100 = 52.95…; (540 + 200) / 1100 = 67.27…
    assert tanah_laut[("3", "physical")] == Decimal("53.0")
    assert tanah_laut[("3", "financial")] == Decimal("67.3")
    # TW II: (30 × 850 + 50 × 250) / 1100 = 34.54…; 300 / 1100 = 27.27…
    assert tanah_laut[("2", "physical")] == Decimal("34.5")
    assert tanah_laut[("2", "financial")] == Decimal("27.3")
    assert 'data-spent="740000000"' in realisation["6301"]
    assert "Rp740.000.000" in realisation["6301"]
    barito = _cells(realisation["6304"])
    assert barito[("3", "physical")] == Decimal(60)
    assert barito[("3", "financial")] == Decimal(50)

    trajectories = _blocks(_section(page, "trajectories"), "trajectory")
    assert set(trajectories) == {"6301", "6304", "6371"}
    tl = _cells(trajectories["6301"])
    assert tl[("2024", "baseline")] == Decimal(6)
    assert {year: tl[(str(year), "targets")] for year in range(2025, 2030)} == {
        2025: 6,
        2026: 9,
        2027: 12,
        2028: 15,
        2029: 18,
    }
    # The latest report of 2026 (TW III, 7.5) gives the year's achievement, not TW II's 7.
    assert tl[("2026", "achieved")] == Decimal("7.5")
    assert ("2025", "achieved") not in tl
    assert 'class="reference-line"' in trajectories["6301"]  # the national 30% by 2029 line
    # A draft has no reports: targets only.
    assert not any(series == "achieved" for _y, series in _cells(trajectories["6371"]))

    funding = _cells(_section(page, "funding"))
    # Agreed plans only: the draft of 6371 (Rp850.000.000 APBD) is not counted.
    assert funding == {
        ("2026", "apbd_district"): Decimal(1_700_000_000),
        ("2026", "dana_desa"): Decimal(250_000_000),
    }
    assert "Rp1.950.000.000" in _section(page, "funding")


def test_every_chart_has_its_numbers_in_the_table_beside_it(app_ctx, users, known) -> None:
    page = _page(signed_in(app_ctx, "admin"))
    for section in ("plans-by-state", "overdue", "funding"):
        html = _section(page, section)
        nonzero = {key: value for key, value in _cells(html).items() if value}
        assert _marks(html) == nonzero, section
    assert _marks(_section(page, "plans-by-state"))  # not vacuous
    for section, kind in (("realisation", "realisation"), ("trajectories", "trajectory")):
        blocks = _blocks(_section(page, section), kind)
        assert blocks
        for code, html in blocks.items():
            assert html.count("<svg ") == 1
            assert _marks(html) == _cells(html), (section, code)
            assert _marks(html)


def test_a_report_still_due_does_not_count_but_shows_as_overdue(app_ctx, users, known) -> None:
    factories.reported_plan(users, "6303", quarter=Quarter(2026, 1), report_state="due")
    page = _page(signed_in(app_ctx, "provincial.63"))
    assert "6303" not in _blocks(_section(page, "realisation"), "realisation")
    overdue = _cells(_section(page, "overdue"))
    assert overdue[("6303", "reports")] == 1


# --- overdue ----------------------------------------------------------------------------------


def test_overdue_plans_and_reports_per_district_with_the_longest_delay(
    app_ctx, users, monkeypatch
) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=WITA)  # a Wednesday; no holiday in November
    monkeypatch.setattr("workflow_app.dashboard.views.utcnow", lambda: now)
    late = factories.plan_in_state(users, "district_review", "6301")
    later = factories.plan_in_state(users, "returned", "6301")
    today = factories.plan_in_state(users, "provincial_sync", "6301")
    late.due_at = datetime(2026, 11, 16, 17, 0, tzinfo=WITA)  # Monday: 7 working days ago
    later.due_at = datetime(2026, 11, 20, 17, 0, tzinfo=WITA)  # Friday: 3 working days ago
    today.due_at = datetime(2026, 11, 25, 8, 0, tzinfo=WITA)  # due today: not overdue yet
    _plan, report = factories.reported_plan(users, "6304", report_state="due")
    report.due_at = datetime(2026, 11, 2, 17, 0, tzinfo=WITA)  # 17 working days ago
    db.session.commit()

    html = _section(_page(signed_in(app_ctx, "head.63")), "overdue")
    cells = _cells(html)
    assert cells[("6301", "plans")] == 2
    assert cells[("6301", "reports")] == 0
    assert cells[("6304", "reports")] == 1
    assert cells[("6304", "plans")] == 0
    row = re.search(r'<tr data-region="6301".*?</tr>', html, re.S).group(0)
    assert 'data-longest="plans" data-value="7"' in row
    row = re.search(r'<tr data-region="6304".*?</tr>', html, re.S).group(0)
    assert 'data-longest="reports" data-value="17"' in row


# --- access -----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(app_ctx, users) -> None:
    for url in ("/dashboard", "/dashboard/export.xlsx"):
        response = app_ctx.test_client().get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["drafter.6301", "reviewer.6301", "head.6301"])
def test_district_roles_are_refused(app_ctx, users, username) -> None:
    client = signed_in(app_ctx, username)
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/export.csv?table=funding").status_code == 403
    assert 'id="nav-dashboard"' not in _page(client, "/plans")


@pytest.mark.parametrize("username", ["provincial.63", "head.63", "admin", "mitra.demo"])
def test_provincial_roles_admins_and_partners_may_open_it(app_ctx, users, username) -> None:
    client = signed_in(app_ctx, username)
    page = _page(client, "/dashboard")
    assert 'id="nav-dashboard"' in page
    assert 'id="nav-dashboard"' in _page(client, "/plans")


def test_a_partner_sees_only_the_published_data_of_their_region(app_ctx, users, known) -> None:
    # 6301 gets a second monitored plan, for its next period (2030–2034: one live plan per
    # district and year), whose TW III 2031 report is submitted but not verified.
    factories.reported_plan(users, "6301", figures=((Decimal(100), 850_000_000),))
    province = _page(signed_in(app_ctx, "provincial.63"))
    partner = _page(signed_in(app_ctx, "mitra.demo"))

    # Rows: the partner's region only.
    assert _regions(_section(partner, "plans-by-state")) == {"6301"}
    assert _regions(_section(partner, "overdue")) == {"6301"}
    plans = _cells(_section(partner, "plans-by-state"))
    assert plans[("6301", "monitored")] == 2
    assert sum(plans.values()) == 2
    # The submitted (unverified) reports are the province's business, not the partner's.
    assert "6301" not in _blocks(_section(partner, "realisation"), "realisation")
    assert "6304" not in partner.split('id="realisation"')[1]
    assert _cells(_blocks(_section(province, "realisation"), "realisation")["6301"])[
        ("3", "physical")
    ] == Decimal("53.0")  # (45×850 + 80×250) / 1100, submitted: the province's business

    # Verified, it counts for the partner too.
    tanah_laut_report = db.session.scalar(
        select(ProgressReport).where(
            ProgressReport.plan_id == known["6301"].id, ProgressReport.quarter == 3
        )
    )
    report_ops.report_transition(users["provincial"], tanah_laut_report, "verify")
    db.session.commit()
    partner = _page(signed_in(app_ctx, "mitra.demo"))
    realisation = _blocks(_section(partner, "realisation"), "realisation")
    assert set(realisation) == {"6301"}
    assert _cells(realisation["6301"])[("3", "physical")] == Decimal("53.0")
    funding = _cells(_section(partner, "funding"))
    assert funding[("2026", "apbd_district")] == Decimal(850_000_000)
    assert funding[("2031", "apbd_district")] == Decimal(850_000_000)  # the next period's

    # Another region cannot be chosen, and its data appears nowhere.
    refused = _page(signed_in(app_ctx, "mitra.demo"), "/dashboard?district=6304", 400)
    assert 'id="district-error"' in refused
    assert "6304" not in "".join(_regions(refused))
    assert "Barito Kuala" not in refused


# --- filters ----------------------------------------------------------------------------------


def test_the_sub_sector_filter_narrows_realisation_and_funding(app_ctx, users, known) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"), "/dashboard?year=2026&sub_sector=hygiene")
    realisation = _blocks(_section(page, "realisation"), "realisation")
    assert set(realisation) == {"6301"}  # 6304 has no hygiene activity
    assert _cells(realisation["6301"])[("3", "physical")] == Decimal(80)
    assert _cells(realisation["6301"])[("3", "financial")] == Decimal(80)
    assert _cells(_section(page, "funding")) == {("2026", "dana_desa"): Decimal(250_000_000)}
    # Plan-level sections are not narrowed by the sub-sector.
    assert _cells(_section(page, "plans-by-state"))[("6304", "monitored")] == 1

    wastewater = _page(
        signed_in(app_ctx, "provincial.63"), "/dashboard?year=2026&sub_sector=wastewater"
    )
    tanah_laut = _cells(_blocks(_section(wastewater, "realisation"), "realisation")["6301"])
    assert tanah_laut[("3", "physical")] == Decimal(45)
    assert tanah_laut[("3", "financial")] == Decimal("63.5")  # 540 / 850


def test_the_district_and_year_filters(app_ctx, users, known) -> None:
    client = signed_in(app_ctx, "provincial.63")
    page = _page(client, "/dashboard?year=2026&district=6304")
    for section in ("plans-by-state", "overdue"):
        assert _regions(_section(page, section)) == {"6304"}
    assert set(_blocks(_section(page, "realisation"), "realisation")) == {"6304"}
    assert set(_blocks(_section(page, "trajectories"), "trajectory")) == {"6304"}
    assert _cells(_section(page, "funding")) == {("2026", "apbd_district"): Decimal(850_000_000)}
    assert re.search(r'<option selected value="6304">|<option value="6304" selected', page)

    # A NUL character in the query string is a bad request, never a server error.
    assert client.get("/dashboard?year=20%0026").status_code == 400

    other_year = _page(client, "/dashboard?year=2027")
    assert not _blocks(_section(other_year, "realisation"), "realisation")
    assert 'class="muted no-data"' in _section(other_year, "realisation")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=1900", "year"),
        ("district=9999", "district"),
        ("sub_sector=nuclear", "sub_sector"),
        ("year=99999999999999999999", "year"),
        ("year=2026.5", "year"),
    ],
)
def test_an_invalid_filter_is_named_and_left_out(app_ctx, users, known, query, field) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"), f"/dashboard?{query}", 400)
    assert f'id="{field}-error"' in page
    assert 'id="filter-errors"' in page
    # The rest of the page still shows, the invalid value ignored.
    assert _cells(_section(page, "plans-by-state"))[("6301", "monitored")] == 1
    if query == "year=abc":
        assert 'value="abc"' in page  # what was typed stays in the field


# --- export -----------------------------------------------------------------------------------


def test_the_xlsx_export_holds_every_table(app_ctx, users, known) -> None:
    response = signed_in(app_ctx, "provincial.63").get("/dashboard/export.xlsx?year=2026")
    assert response.status_code == 200
    assert "dasbor-2026.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == 5
    plans, overdue, realisation, trajectories, funding = workbook.worksheets
    assert plans.max_row == 14  # a header and 13 districts
    rows = [list(r) for r in realisation.iter_rows(min_row=2, values_only=True)]
    assert ["6301", "Tanah Laut", 2026, "TW III", 1_100_000_000, 740_000_000, 53, 67.3] in [
        [*r[:6], float(r[6]), float(r[7])] for r in rows
    ]
    targets = {
        (r[0], r[4]): r[6] for r in trajectories.iter_rows(min_row=2, values_only=True) if r[6]
    }
    assert float(targets[("6301", 2029)]) == 18
    funding_rows = list(funding.iter_rows(values_only=True))
    assert funding_rows[-1][-1] == 1_950_000_000  # the grand total
    assert overdue.max_row == 14


def test_the_csv_export_holds_the_chosen_table(app_ctx, users, known) -> None:
    client = signed_in(app_ctx, "provincial.63")
    response = client.get("/dashboard/export.csv?year=2026&table=realisation&district=6304")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][:4] == ["6304", "Barito Kuala", "2026", "TW III"]
    assert [Decimal(v) for v in rows[1][6:]] == [Decimal(60), Decimal(50)]

    funding = client.get("/dashboard/export.csv?table=funding&sub_sector=hygiene")
    rows = list(csv.reader(io.StringIO(funding.data.decode("utf-8-sig"))))
    assert rows[0][1:] == ["2026", rows[0][2]]
    assert rows[1][1:] == ["250000000", "250000000"]

    assert client.get("/dashboard/export.csv?year=2026").status_code == 400  # which table?
    assert client.get("/dashboard/export.csv?table=secrets").status_code == 400
    assert client.get("/dashboard/export.csv?table=funding&year=x").status_code == 400
    assert client.get("/dashboard/export.pdf").status_code == 404


def test_a_partner_export_holds_only_their_region(app_ctx, users, known) -> None:
    response = signed_in(app_ctx, "mitra.demo").get("/dashboard/export.xlsx?year=2026")
    workbook = load_workbook(io.BytesIO(response.data))
    codes = {
        row[0]
        for sheet in workbook.worksheets[:4]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert codes == {"6301"}


def test_names_typed_by_districts_are_escaped_in_the_charts(app_ctx, users, known) -> None:
    indicator = db.session.scalar(select(Indicator).where(Indicator.plan_id == known["6304"].id))
    indicator.name = '% sanitasi aman <script>alert("x")</script>'
    db.session.commit()
    page = _page(signed_in(app_ctx, "provincial.63"))
    assert "<script>" not in page
    assert "&lt;script&gt;" in _blocks(_section(page, "trajectories"), "trajectory")["6304"]


# --- queries ----------------------------------------------------------------------------------


def _statements_for(app: Flask, client: FlaskClient, url: str) -> int:
    return len(statements_of_a_get(app, client, url))


def _reported_plans(users: dict[str, User], codes: list[str]) -> None:
    """A plan with a submitted TW III report and one with an overdue TW I report, per code."""
    for index, code in enumerate(codes):
        if index % 2:
            factories.reported_plan(users, code, quarter=Quarter(2026, 1), report_state="due")
        else:
            factories.reported_plan(
                users,
                code,
                hygiene_budget=100_000_000,
                safe_sanitation=Decimal(7),
                figures=((Decimal(40), 300_000_000), (Decimal(20), 10_000_000)),
            )


def test_the_query_count_does_not_grow_with_the_plans(app_ctx, users) -> None:
    _reported_plans(users, ["6301", "6304"])
    client = signed_in(app_ctx, "provincial.63")
    urls = ("/dashboard?year=2026", "/dashboard?year=2026&sub_sector=hygiene&district=6301")
    two = [_statements_for(app_ctx, client, url) for url in urls]

    _reported_plans(users, ["6301", "6303", "6305", "6371", "6372", "6304"])
    assert db.session.scalar(select(db.func.count(ProgressReport.id))) == 8
    eight = [_statements_for(app_ctx, client, url) for url in urls]

    assert eight == two


# --- the figures cache ------------------------------------------------------------------------


@pytest.fixture
def cache_on(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "DASHBOARD_CACHE_SECONDS", 600)
    from workflow_app.extensions import cache

    cache.clear()


def test_unchanged_figures_are_served_again_without_aggregating(
    app_ctx, users, known, cache_on
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _statements_for(app_ctx, client, "/dashboard?year=2026")
    again = _statements_for(app_ctx, client, "/dashboard?year=2026")
    assert again < first
    assert _page(client) == _page(client)


def test_a_change_shows_at_once_despite_the_cache(app_ctx, users, known, cache_on) -> None:
    client = signed_in(app_ctx, "provincial.63")
    before = _cells(_section(_page(client), "plans-by-state"))
    assert before[("6371", "draft")] == 1
    drafter = db.session.scalar(select(User).where(User.username == "drafter.6371"))
    with unit_of_work():
        plan_ops.transition(drafter, known["6371"], "withdraw")
    after = _cells(_section(_page(client), "plans-by-state"))
    assert ("6371", "draft") not in after or after[("6371", "draft")] == 0
    assert after[("6371", "withdrawn")] == 1


def test_a_partner_never_gets_the_province_s_cached_figures(
    app_ctx, users, known, cache_on
) -> None:
    province = _page(signed_in(app_ctx, "provincial.63"))
    partner = _page(signed_in(app_ctx, "mitra.demo"))
    assert "6304" in _regions(_section(province, "plans-by-state"))
    assert _regions(_section(partner, "plans-by-state")) <= {"6301"}


def test_the_freshness_check_reads_no_table_of_cases(app_ctx, users, known) -> None:
    """The stamp the cached figures are keyed on is one statement reading the change feed's
    last id (its primary key) and the calendar's few overrides, never a table of cases or
    history (it used to count and scan four on every view); and each kind of write the figures
    show moves it: a transition, an edit that writes no history row, a new case, a holiday."""
    from workflow_app.dashboard.cache import data_stamp
    from workflow_app.deadlines import operations as calendar_ops

    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        stamps = [data_stamp()]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    (statement,) = statements
    assert set(re.findall(r"FROM (\w+)", statement)) == {"change_event", "calendar_override"}
    assert "max(change_event.id)" in statement

    draft = known["6371"]
    drafter = db.session.scalar(select(User).where(User.username == "drafter.6371"))
    with unit_of_work():
        plan_ops.update_header(
            drafter,
            draft,
            expected_version=draft.version,
            title="Rencana Aksi yang diperbaiki",
            period_start=draft.period_start,
            period_end=draft.period_end,
        )
    stamps.append(data_stamp())
    with unit_of_work():
        plan_ops.transition(drafter, draft, "withdraw")
    stamps.append(data_stamp())
    factories.plan_in_state(factories.district_people(users, "6372"), "draft", "6372")
    stamps.append(data_stamp())
    with unit_of_work():
        calendar_ops.add_holiday(users["admin"], datetime(2026, 12, 1).date(), "Cuti bersama")
    stamps.append(data_stamp())

    assert len(set(stamps)) == len(stamps)
