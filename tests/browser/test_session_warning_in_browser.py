"""In Chromium: the page warns before the idle timeout ends the session, "Stay logged in" keeps
it going, and once it has ended, saving the open form leads through the login back to the
form with what was typed. The idle timeout is made seconds long here (the warning comes at
half of it), so these tests wait for what the page shows, never for a fixed time."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import factories
from workflow_app.extensions import db

from .conftest import log_in

IDLE_MINUTES = 0.25  # 15 seconds
WARNING_SECONDS = 7
# Long enough for the warning (at 8 s) or the end (at 15 s), with room for a busy machine.
WAIT_MS = 40_000
TYPED = "Rencana Aksi Sanitasi Aman Tanah Laut (diketik sebelum sesi berakhir)"


@pytest.fixture
def short_session(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "SESSION_IDLE_MINUTES", IDLE_MINUTES)
    monkeypatch.setitem(app_ctx.config, "SESSION_ABSOLUTE_HOURS", 12)
    monkeypatch.setitem(app_ctx.config, "SESSION_IDLE_WARNING_SECONDS", WARNING_SECONDS)


def test_the_page_warns_and_stay_logged_in_keeps_the_session(
    app_ctx: Flask, users: dict, live_server: str, page: object, short_session: None
) -> None:
    log_in(page, live_server, "drafter.6301")
    warning = page.locator("#session-warning")  # type: ignore[attr-defined]
    stay = warning.locator("[data-session=stay]")

    warning.wait_for(state="visible", timeout=WAIT_MS)

    assert warning.get_attribute("role") == "alert"
    assert warning.locator("[data-session=soon]").is_visible()
    assert stay.is_visible()
    stay.click()
    warning.wait_for(state="hidden")
    # The server counts the session from the click: more is left than the warning's time.
    state = page.request.get(f"{live_server}/session/status").json()  # type: ignore[attr-defined]
    assert state["active"] is True
    assert state["idle_seconds_left"] > WARNING_SECONDS
    # And the page warns again, a whole idle period later.
    warning.wait_for(state="visible", timeout=WAIT_MS)
    page.goto(f"{live_server}/plans")  # type: ignore[attr-defined]
    assert page.url == f"{live_server}/plans"  # type: ignore[attr-defined]


def test_after_the_end_saving_the_form_brings_back_what_was_typed(
    app_ctx: Flask, users: dict, live_server: str, page: object, short_session: None
) -> None:
    plan = factories.complete_plan(users["drafter"], title="Rencana Aksi Tanah Laut")
    db.session.commit()
    url = f"{live_server}/plans/{plan.id}/edit"
    log_in(page, live_server, "drafter.6301")
    page.goto(url)  # type: ignore[attr-defined]
    # Typed, then left alone (set without input events: typing would count as being there).
    page.eval_on_selector(  # type: ignore[attr-defined]
        "input[name=title]", "(el, text) => { el.value = text; }", TYPED
    )
    warning = page.locator("#session-warning")  # type: ignore[attr-defined]

    warning.locator("[data-session=ended]").wait_for(state="visible", timeout=WAIT_MS)
    assert not warning.locator("[data-session=stay]").is_visible()
    warning.locator("[data-session=close]").click()  # out of the way of the form
    warning.wait_for(state="hidden")
    page.click("form:has(input[name=title]) button[type=submit]")  # type: ignore[attr-defined]

    page.wait_for_url(f"{live_server}/login?**")  # type: ignore[attr-defined]
    page.fill("input[name=username]", "drafter.6301")  # type: ignore[attr-defined]
    page.fill("input[name=password]", factories.PASSWORD)  # type: ignore[attr-defined]
    page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(url)  # type: ignore[attr-defined]

    assert page.input_value("input[name=title]") == TYPED  # type: ignore[attr-defined]
    db.session.expire_all()
    assert db.session.get(type(plan), plan.id).title == "Rencana Aksi Tanah Laut"
