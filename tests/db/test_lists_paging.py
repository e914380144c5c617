"""The plans list and the reports list a page at a time (issue 17): 50 rows a page read alone
from the database, the filters kept on the pager's links, the whole total still shown, an
invalid page number refused with a message, exports still whole, and the statements of a page
not growing with the number of rows."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import signed_in
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.deadlines.display import due_statuses
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.monitoring.models import ProgressReport, ReportLine
from workflow_app.monitoring.operations import open_report
from workflow_app.monitoring.quarters import Quarter
from workflow_app.monitoring.queries import ReportFilters, list_reports, only_overdue
from workflow_app.plans import operations as ops
from workflow_app.plans.lists_paging import PAGE_SIZE
from workflow_app.plans.models import ActionPlan

PLANS = PAGE_SIZE + 5


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _rows(page: str, kind: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<tr id="{kind}-(\d+)"', page)]


def _plans(drafter: User, code: str, count: int, first_year: int = 2000) -> list[ActionPlan]:
    # One-year periods: a district's live plans may not share a year.
    region = factories.regions()[code]
    plans = [
        ops.create_plan(
            drafter, region, title=f"Rencana {code} {n}", period_start=year, period_end=year
        )
        for n, year in enumerate(range(first_year, first_year + count))
    ]
    db.session.commit()
    return plans


def _reports(users: dict[str, User], code: str, plans: int) -> None:
    """`plans` monitored plans of district `code`, each with its 20 quarterly reports."""
    people = factories.district_people(users, code)
    for _ in range(plans):
        plan = factories.plan_in_state(people, "monitored", code)
        for year in range(plan.period_start, plan.period_end + 1):
            for number in range(1, 5):
                open_report(system_user(), plan, Quarter(year, number), current_calendar())
    db.session.commit()


@pytest.fixture
def many_plans(users: dict[str, User]) -> None:
    _plans(users["drafter"], "6301", PLANS)
    _plans(users["other_drafter"], "6304", 3)


@pytest.fixture
def many_reports(users: dict[str, User]) -> None:
    _reports(users, "6301", 3)  # 60 reports
    _reports(users, "6304", 1)  # 20 reports


# --- plans ----------------------------------------------------------------------------------


def test_plans_come_a_page_at_a_time_in_the_same_order(app_ctx: Flask, many_plans: None) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    first, second = _page(client, "/plans"), _page(client, "/plans?page=2")
    one, two = _rows(first, "plan"), _rows(second, "plan")
    assert (len(one), len(two)) == (PAGE_SIZE, PLANS - PAGE_SIZE)
    # Latest changed first, across the pages as on one list.
    ordered = db.session.scalars(
        db.select(ActionPlan.id)
        .join(ActionPlan.region)
        .where(ActionPlan.region.has(code="6301"))
        .order_by(ActionPlan.updated_at.desc(), ActionPlan.id.desc())
    ).all()
    assert one + two == list(ordered)
    assert 'rel="next" ' not in first and 'href="/plans?page=2" rel="next"' in first
    assert 'href="/plans" rel="prev"' in second and 'rel="next"' not in second
    assert "Halaman 1 dari 2" in first and "Halaman 2 dari 2" in second
    assert 'aria-label="Halaman"' in first


def test_the_plans_pager_keeps_the_filters_and_the_whole_count(
    app_ctx: Flask, many_plans: None
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _page(client, "/plans?q=Rencana+6301&region=6301")
    assert len(_rows(first, "plan")) == PAGE_SIZE
    count = re.search(r'id="result-count"[^>]*>([^<]+)<', first)
    assert count is not None and str(PLANS) in count.group(1)  # the whole total, not the page's
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link is not None
    second = _page(client, link.group(1))
    assert "q=Rencana" in link.group(1) and "region=6301" in link.group(1)
    assert len(_rows(second, "plan")) == PLANS - PAGE_SIZE
    count = re.search(r'id="result-count"[^>]*>([^<]+)<', second)
    assert count is not None and str(PLANS) in count.group(1)


def test_a_short_plans_list_shows_no_pager(app_ctx: Flask, users: dict[str, User]) -> None:
    _plans(users["drafter"], "6301", 3)
    page = _page(signed_in(app_ctx, "drafter.6301"), "/plans")
    assert len(_rows(page, "plan")) == 3
    assert 'class="pager' not in page


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "２", "9999999999"])
def test_an_invalid_plans_page_is_refused_with_a_message(
    app_ctx: Flask, many_plans: None, page: str
) -> None:
    shown = _page(signed_in(app_ctx, "drafter.6301"), f"/plans?page={page}", 400)
    assert re.search(r'id="page-error">[^<]+</div>', shown)
    assert len(_rows(shown, "plan")) == PAGE_SIZE  # the first page


def test_a_plans_page_past_the_end_goes_to_the_last(app_ctx: Flask, many_plans: None) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    response = client.get("/plans?page=7&region=6301")
    assert response.status_code == 302
    assert response.location.endswith("/plans?region=6301&page=2")
    response = client.get("/plans?page=3&q=nothing+matches+this")
    assert response.status_code == 302 and response.location.endswith(
        "/plans?q=nothing+matches+this"
    )


def test_no_plans_page_shows_another_districts_plans(app_ctx: Flask, many_plans: None) -> None:
    client = signed_in(app_ctx, "drafter.6304")
    theirs = set(
        db.session.scalars(db.select(ActionPlan.id).where(ActionPlan.region.has(code="6304")))
    )
    for url in ("/plans", "/plans?page=2", "/plans?region=6301", "/plans?region=6301&page=2"):
        response = client.get(url)
        if response.status_code == 302:
            response = client.get(response.location)
        assert set(_rows(html.unescape(response.get_data(as_text=True)), "plan")) <= theirs


def test_a_plans_page_costs_the_same_statements_whatever_the_rows(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    _plans(users["drafter"], "6301", 3)
    urls = ("/plans", "/plans?q=Rencana")
    few = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}
    _plans(users["drafter"], "6301", PLANS, first_year=2100)
    many = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}
    assert many == few
    assert len(statements_of_a_get(app_ctx, client, "/plans?page=2")) == many["/plans"]


# --- reports --------------------------------------------------------------------------------


def test_reports_come_a_page_at_a_time_in_the_same_order(
    app_ctx: Flask, many_reports: None
) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    first, second = _page(client, "/reports"), _page(client, "/reports?page=2")
    one, two = _rows(first, "report"), _rows(second, "report")
    assert (len(one), len(two)) == (PAGE_SIZE, 60 - PAGE_SIZE)
    assert not set(one) & set(two)
    # The pages in order are the whole list in its order.
    drafter = db.session.scalar(db.select(User).where(User.username == "drafter.6301"))
    assert one + two == [r.id for r in list_reports(drafter, ReportFilters())]
    assert 'href="/reports?page=2" rel="next"' in first
    assert 'href="/reports" rel="prev"' in second


def test_the_reports_pager_keeps_the_filters(app_ctx: Flask, many_reports: None) -> None:
    client = signed_in(app_ctx, "provincial.63")
    first = _page(client, "/reports?district=6301&state=due")
    assert len(_rows(first, "report")) == PAGE_SIZE
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link is not None
    assert "district=6301" in link.group(1) and "state=due" in link.group(1)
    second = _page(client, link.group(1))
    assert len(_rows(second, "report")) == 60 - PAGE_SIZE
    # The export links still export everything the filters select, not a page.
    export = re.search(r'id="export-csv" href="([^"]+)"', second)
    assert export is not None and "page=" not in export.group(1)
    rows = list(csv.reader(io.StringIO(client.get(export.group(1)).get_data(as_text=True))))
    lines = db.session.scalar(
        db.select(db.func.count(ReportLine.id))
        .join(ReportLine.report)
        .where(ProgressReport.plan.has(ActionPlan.region.has(code="6301")))
    )
    assert len(rows) - 1 == lines > PAGE_SIZE - 10  # a row per report line: every page's
    whole = client.get("/reports/export.csv?district=6301&state=due").get_data(as_text=True)
    assert client.get(export.group(1)).get_data(as_text=True) == whole


def test_the_overdue_filter_is_paged_after_it_is_applied(
    app_ctx: Flask, many_reports: None
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    overdue = _page(client, "/reports?overdue=1")
    rows = _rows(overdue, "report")
    assert rows and overdue.count('data-overdue="1"') == len(rows)
    everything = _page(client, "/reports") + _page(client, "/reports?page=2")
    everything += _page(client, "/reports?page=3") if "Halaman 2 dari 3" in everything else ""
    late = re.findall(r'<tr id="report-(\d+)"[^>]*data-overdue="1"', everything)
    assert sorted(rows) == sorted(int(n) for n in late)


def test_the_overdue_filter_in_sql_is_the_due_status_overdue(
    app_ctx: Flask, users: dict[str, User], many_reports: None
) -> None:
    # Around midnight WITA: a deadline today (even at 00:00) is `today`, not overdue.
    today = datetime.combine(utcnow().astimezone(WITA).date(), time.min, tzinfo=WITA)
    edges = [today, today - timedelta(microseconds=1), today + timedelta(hours=23)]
    reports = db.session.scalars(db.select(ProgressReport).order_by(ProgressReport.id)).all()
    for report, due_at in zip(reports, edges, strict=False):
        report.due_at = due_at
    db.session.commit()
    overdue = {}
    for username in ("provincial.63", "drafter.6301", "drafter.6304"):
        user = db.session.scalar(db.select(User).where(User.username == username))
        everything = list_reports(user, ReportFilters())
        overdue[username] = only_overdue(everything, due_statuses(everything))
        assert list_reports(user, ReportFilters(overdue=True)) == overdue[username]
    assert reports[1] in overdue["provincial.63"] and reports[0] not in overdue["provincial.63"]


@pytest.mark.parametrize("page", ["0", "abc", "-3"])
def test_an_invalid_reports_page_is_refused_with_a_message(
    app_ctx: Flask, many_reports: None, page: str
) -> None:
    shown = _page(signed_in(app_ctx, "drafter.6301"), f"/reports?page={page}", 400)
    assert re.search(r'id="page-error">[^<]+</div>', shown)
    assert len(_rows(shown, "report")) == PAGE_SIZE


def test_a_reports_page_past_the_end_goes_to_the_last(app_ctx: Flask, many_reports: None) -> None:
    client = signed_in(app_ctx, "drafter.6301")
    response = client.get("/reports?page=9&year=2026")
    assert response.status_code == 302 and response.location.endswith("/reports?year=2026")
    response = client.get("/reports?state=due&page=3")
    assert response.status_code == 302
    assert response.location.endswith("/reports?state=due&page=2")


def test_no_reports_page_shows_another_districts_reports(
    app_ctx: Flask, many_reports: None
) -> None:
    client = signed_in(app_ctx, "drafter.6304")
    for url in ("/reports", "/reports?page=2", "/reports?district=6301", "/reports?overdue=1"):
        response = client.get(url)
        if response.status_code == 302:
            response = client.get(response.location)
        page = html.unescape(response.get_data(as_text=True))
        shown = _rows(page, "report")
        assert len(shown) <= 20
        assert "6301" not in "".join(re.findall(r'<tr id="report-\d+".*?</tr>', page, re.S))


def test_a_reports_page_costs_the_same_statements_whatever_the_rows(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    client = signed_in(app_ctx, "provincial.63")
    _reports(users, "6301", 1)
    few = len(statements_of_a_get(app_ctx, client, "/reports"))
    _reports(users, "6301", 3)
    assert len(statements_of_a_get(app_ctx, client, "/reports")) == few
    assert len(statements_of_a_get(app_ctx, client, "/reports?page=2")) == few


@pytest.mark.parametrize("path", ["/plans", "/reports"])
def test_a_crafted_address_cannot_set_url_fors_own_options_on_the_pager(
    app_ctx: Flask, many_plans: None, many_reports: None, path: str
) -> None:
    # `_external`, `_scheme` and `_anchor` are url_for's options, not filters: kept as query
    # arguments they made the page fail (500) or point its links and redirect at another host.
    client = signed_in(app_ctx, "provincial.63")
    crafted = "_external=1&_scheme=javascript&_anchor=x%22onmouseover%3Dalert(1)"
    shown = _page(client, f"{path}?page=2&{crafted}")
    links = re.findall(r'<a class="btn btn-sm btn-outline-secondary" href="([^"]+)"', shown)
    assert links and all(link.startswith(f"{path}") and "_" not in link for link in links)
    response = client.get(f"{path}?page=99999&_external=1")
    assert response.status_code == 302
    assert response.location.startswith(f"{path}?page=")
