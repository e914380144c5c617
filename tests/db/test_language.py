"""The interface speaks Bahasa Indonesia by default and English to whoever asks for it: the
browser's language before login, the user's own setting after it. Money and dates follow the
Indonesian conventions (Rp850.000.000, 5 Februari 2026) whatever the words around them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import login
from workflow_app import clock as app_clock
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans.models import ActionPlan

WITA = ZoneInfo("Asia/Makassar")
BULAN = {
    1: "Januari",
    2: "Februari",
    3: "Maret",
    4: "April",
    5: "Mei",
    6: "Juni",
    7: "Juli",
    8: "Agustus",
    9: "September",
    10: "Oktober",
    11: "November",
    12: "Desember",
}
# 22.30 UTC on the last day of January is already 1 February in WITA (UTC+8), and February
# is a month whose Indonesian and English names differ.
CLOCK = datetime(2026, 1, 31, 22, 30, tzinfo=UTC)


def page(response: TestResponse) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def heading(html: str) -> str:
    match = re.search(r"<h1>([^<]*)</h1>", html)
    assert match, "no page heading"
    return match.group(1).strip()


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no main navigation"
    return [text.strip() for text in re.findall(r"<a [^>]*>([^<]*)</a>", nav.group(1))]


def state_badge(html: str, plan: ActionPlan) -> str:
    match = re.search(rf'<span class="badge [^"]*" data-state="{plan.state}">([^<]*)</span>', html)
    assert match, "no state badge"
    return match.group(1)


def history_dates(html: str) -> list[str]:
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]*)</time>", html)


def second_browser(client: FlaskClient) -> FlaskClient:
    """Another browser on the same app, with its own cookies."""
    return client.application.test_client()


@pytest.fixture
def english_reader(users: dict) -> User:
    """A district reviewer of 6301 who chose English; sees the same plans as `reviewer`."""
    account = factories.user("reviewer.en", ("district_reviewer", "6301"), language="en")
    db.session.commit()
    return account


@pytest.fixture
def plan(users: dict, monkeypatch: pytest.MonkeyPatch) -> ActionPlan:
    """A complete draft with APBD Kab 2026 Rp850.000.000, created (history) at CLOCK."""

    class _Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return CLOCK

    monkeypatch.setattr(app_clock, "datetime", _Clock)
    created = factories.complete_plan(users["drafter"])
    db.session.commit()
    monkeypatch.undo()
    return created


@pytest.mark.parametrize(
    ("accept_language", "title"),
    [
        (None, "Masuk"),
        ("id-ID,id;q=0.9,en;q=0.8", "Masuk"),
        ("en", "Log in"),
        ("en-US,en;q=0.9", "Log in"),
        ("fr-FR,fr;q=0.9", "Masuk"),  # neither language asked for: Indonesian
    ],
)
def test_login_page_follows_the_browser_language(
    client: FlaskClient, accept_language: str | None, title: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = page(client.get("/login", headers=headers))
    assert heading(html) == title
    assert f'<html lang="{"en" if title == "Log in" else "id"}">' in html


def test_after_login_the_users_own_language_wins(
    client: FlaskClient, users: dict, english_reader: User
) -> None:
    login(client, users["reviewer"].username)
    # The browser asks for English, but this user chose Indonesian.
    html = page(client.get("/tasks", headers={"Accept-Language": "en"}))
    assert nav_links(html)[:2] == ["Tugas Saya", "Rencana Aksi"]
    assert heading(html) == "Tugas Saya"

    english = second_browser(client)
    login(english, "reviewer.en")
    html = page(english.get("/tasks", headers={"Accept-Language": "id"}))
    assert nav_links(html)[:2] == ["My tasks", "Plans"]
    assert heading(html) == "My tasks"


def test_plan_page_state_label_in_the_users_language(
    client: FlaskClient, users: dict, english_reader: User, plan: ActionPlan
) -> None:
    login(client, users["reviewer"].username)
    assert state_badge(page(client.get(f"/plans/{plan.id}")), plan) == "Draf"

    english = second_browser(client)
    login(english, "reviewer.en")
    assert state_badge(page(english.get(f"/plans/{plan.id}")), plan) == "Draft"


def test_money_is_written_the_indonesian_way(
    client: FlaskClient, users: dict, plan: ActionPlan
) -> None:
    login(client, users["reviewer"].username)
    html = page(client.get(f"/plans/{plan.id}"))
    assert re.search(r'<td class="num plan-total">Rp850\.000\.000</td>', html)


def test_history_dates_are_in_wita_with_the_month_in_the_users_language(
    client: FlaskClient, users: dict, english_reader: User, plan: ActionPlan
) -> None:
    created = plan.history[0].created_at.astimezone(WITA)
    assert (created.day, created.month) == (1, 2)  # the clock crossed midnight in WITA

    login(client, users["reviewer"].username)
    dates = history_dates(page(client.get(f"/plans/{plan.id}")))
    assert dates == [f"{created.day} {BULAN[created.month]} {created.year} 06.30 WITA"]

    english = second_browser(client)
    login(english, "reviewer.en")
    dates = history_dates(page(english.get(f"/plans/{plan.id}")))
    assert dates == [f"{created.day} February {created.year} 06.30 WITA"]


def _new_plan_without_a_title(client: FlaskClient, username: str) -> str:
    from tests.conftest import csrf_token

    login(client, username)
    token = csrf_token(client, "/plans/new")
    response = client.post(
        "/plans/new",
        data={"csrf_token": token, "title": "", "period_start": "2025", "period_end": "2029"},
    )
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_form_library_messages_are_in_indonesian_too(client: FlaskClient, users: dict) -> None:
    # WTForms ships no Indonesian catalogue; ours carries its built-in messages.
    html = _new_plan_without_a_title(client, "drafter.6301")
    assert "Isian ini wajib diisi." in html
    assert "This field is required." not in html


def test_form_library_messages_stay_english_for_an_english_user(
    client: FlaskClient, users: dict
) -> None:
    factories.user("drafter.en", ("district_drafter", "6301"), language="en")
    db.session.commit()
    html = _new_plan_without_a_title(client, "drafter.en")
    assert "This field is required." in html
