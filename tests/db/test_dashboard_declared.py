"""The dashboard shows every kind declared as data: its cases by status per district and its
overdue cases, each only as far as the viewer may see them (partners: published states)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.models import User
from workflow_app.cases import operations
from workflow_app.cases.models import DeclaredCase
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.firing import fire
from workflow_app.unit_of_work import unit_of_work

KIND = "sk_pokja"
SECTION = f"declared-{KIND}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=WITA)  # a Wednesday; no holiday in November
_CELL = re.compile(r'<td[^>]*? data-row="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"')


def _decree(drafter: User, code: str, number: str, *, path: tuple[tuple[User, str], ...] = ()):
    """A complete decree of `code`, moved through the one door by `path` (actor, trigger)."""
    agency = factories.agency(code)
    typed = {
        "decree_kind": "formation",
        "decree_number": number,
        "decree_date": date(2026, 3, 2),
        "members": [
            {"name": f"Anggota {n}", "agency": agency.id, "position": "member"} for n in range(3)
        ],
    }
    files = {"signed_decree": FileStorage(io.BytesIO(PDF), "sk.pdf")}
    case = operations.open_case(drafter, KIND, factories.regions()[code], typed, files)
    for actor, trigger in path:
        fire(actor, case, trigger)
    db.session.commit()
    return case


def _section(page: str) -> str:
    match = re.search(rf'<section [^>]*id="{SECTION}".*?</section>', page, re.S)
    assert match, f"no section {SECTION}"
    return match.group(0)


def _cells(html: str) -> dict[tuple[str, str], Decimal]:
    return {(row, series): Decimal(value) for row, series, value in _CELL.findall(html)}


def _page(app: Flask, username: str, url: str = "/dashboard?year=2026") -> str:
    response = signed_in(app, username).get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def decrees(app_ctx: Flask, users: dict[str, User], monkeypatch: pytest.MonkeyPatch):
    """6301: a draft, one in the provincial check overdue by 3 working days, one acknowledged;
    6304: a draft and one acknowledged."""
    monkeypatch.setattr("workflow_app.dashboard.views.utcnow", lambda: NOW)
    provincial, drafter, other = users["provincial"], users["drafter"], users["other_drafter"]
    submit, acknowledge = (drafter, "submit"), (provincial, "acknowledge")
    found = {
        "draft": _decree(drafter, "6301", "SK/1"),
        "late": _decree(drafter, "6301", "SK/2", path=(submit,)),
        "done": _decree(drafter, "6301", "SK/3", path=(submit, acknowledge)),
        "other_draft": _decree(other, "6304", "SK/4"),
        "other_done": _decree(other, "6304", "SK/5", path=((other, "submit"), acknowledge)),
    }
    found["late"].due_at = datetime(2026, 11, 20, 17, 0, tzinfo=WITA)  # Friday: 3 working days
    db.session.commit()
    return found


def test_the_province_sees_each_district_s_cases_by_status_and_the_overdue_one(
    app_ctx: Flask, users: dict[str, User], decrees: dict[str, DeclaredCase]
) -> None:
    html = _section(_page(app_ctx, "provincial.63"))
    assert "SK Pokja PKP" in html
    cells = _cells(html)
    assert cells[("6301", "draft")] == 1
    assert cells[("6301", "provincial_check")] == 1
    assert cells[("6301", "acknowledged")] == 1
    assert cells[("6304", "draft")] == 1
    assert cells[("6304", "acknowledged")] == 1
    assert cells[("6302", "draft")] == 0  # every district is a row, as for plans
    assert len(set(re.findall(r'<tr data-region="(\d+)"', html))) == 13
    assert 'class="num grand-total" data-value="5"' in html
    assert 'data-state-total="acknowledged">2<' in html

    overdue = re.findall(r'<tr class="overdue-case"[^>]*data-case="(\d+)"', html)
    assert overdue == [str(decrees["late"].id)]
    late = decrees["late"]
    assert f'href="/cases/{KIND}/{late.id}"' in html and late.title in html
    assert 'data-working-days="-3"' in html
    assert "terlambat 3 hari kerja" in html


def test_a_partner_sees_only_the_acknowledged_decrees_of_their_region(
    app_ctx: Flask, users: dict[str, User], decrees: dict[str, DeclaredCase]
) -> None:
    html = _section(_page(app_ctx, "mitra.demo"))
    assert set(re.findall(r'<tr data-region="(\d+)"', html)) == {"6301"}
    cells = _cells(html)
    assert cells[("6301", "acknowledged")] == 1
    assert sum(cells.values()) == 1
    assert 'class="num grand-total" data-value="1"' in html
    assert 'class="overdue-case"' not in html  # the late one is not published
    assert decrees["late"].title not in html


def test_the_district_filter_narrows_the_section(
    app_ctx: Flask, users: dict[str, User], decrees: dict[str, DeclaredCase]
) -> None:
    html = _section(_page(app_ctx, "provincial.63", "/dashboard?year=2026&district=6304"))
    assert set(re.findall(r'<tr data-region="(\d+)"', html)) == {"6304"}
    assert 'class="num grand-total" data-value="2"' in html
    assert 'class="overdue-case"' not in html


def _statements(app: Flask, username: str) -> int:
    count = 0

    def counter(*args: object) -> None:
        nonlocal count
        count += 1

    client = signed_in(app, username)
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        with app.app_context():
            assert client.get("/dashboard?year=2026").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_the_query_count_does_not_grow_with_the_cases(
    app_ctx: Flask, users: dict[str, User], decrees: dict[str, DeclaredCase]
) -> None:
    before = _statements(app_ctx, "provincial.63")
    drafter = users["drafter"]
    for number in range(4):
        case = _decree(drafter, "6301", f"SK/extra/{number}", path=((drafter, "submit"),))
        case.due_at = datetime(2026, 11, 2, 17, 0, tzinfo=WITA)
    db.session.commit()
    assert _statements(app_ctx, "provincial.63") == before


def test_a_change_to_a_decree_shows_at_once_despite_the_cache(
    app_ctx: Flask,
    users: dict[str, User],
    decrees: dict[str, DeclaredCase],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workflow_app.extensions import cache

    monkeypatch.setitem(app_ctx.config, "DASHBOARD_CACHE_SECONDS", 600)
    cache.clear()
    late = decrees["late"]
    fire(users["provincial"], late, "return", comment="Nomor SK keliru")
    late.due_at = datetime(2026, 11, 20, 17, 0, tzinfo=WITA)
    db.session.commit()
    assert late.title in _section(_page(app_ctx, "provincial.63"))
    # The district corrects the decree number: an edit that writes no history row, so only
    # the cases' own stamp can tell the cache.
    with unit_of_work():
        operations.save_values(
            users["drafter"], late, {"decree_number": "SK/2-revisi"}, expected_version=late.version
        )
    assert "SK/2-revisi" in late.title
    assert late.title in _section(_page(app_ctx, "provincial.63"))


def test_the_section_is_in_english_for_an_english_reader(
    app_ctx: Flask, users: dict[str, User], decrees: dict[str, DeclaredCase]
) -> None:
    factories.user("reviewer.en", ("provincial_reviewer", "63"), language="en")
    db.session.commit()
    html = _section(_page(app_ctx, "reviewer.en"))
    assert "PKP working group decree" in html and "Provincial check" in html
    assert "overdue by 3 working days" in html
