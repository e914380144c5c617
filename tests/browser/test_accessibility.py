"""Accessible and usable without JavaScript: every input has a name a screen reader can read,
the login works from the keyboard alone, statuses are written out (not colour alone), and a
drafter can submit a plan with JavaScript switched off."""

from __future__ import annotations

from flask import Flask

from tests import factories
from workflow_app.extensions import db

from .conftest import log_in

# Inputs a person fills or chooses, and whether each has an accessible name: a <label for>, a
# wrapping <label>, aria-label or aria-labelledby. (Playwright evaluates this in the page.)
UNLABELLED_FIELDS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => {
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const wrapped = el.closest('label');
    const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    return !(byFor || wrapped || aria);
  })
  .map(el => el.outerHTML.slice(0, 120))
"""


def test_every_field_of_the_main_pages_is_labelled(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    activity_id = plan.activities[0].id
    pages = [
        "/tasks",
        "/plans",
        "/plans/new",
        f"/plans/{plan.id}",
        f"/plans/{plan.id}/edit",
        f"/plans/{plan.id}/challenges",
        f"/plans/{plan.id}/indicators",
        f"/plans/{plan.id}/activities/new",
        f"/plans/{plan.id}/activities/{activity_id}/edit",
        "/delegations",
        "/account",
    ]
    page.goto(f"{live_server}/login")  # type: ignore[attr-defined]
    assert page.evaluate(UNLABELLED_FIELDS) == []  # type: ignore[attr-defined]
    log_in(page, live_server, "drafter.6301")
    for path in pages:
        page.goto(live_server + path)  # type: ignore[attr-defined]
        assert page.evaluate(UNLABELLED_FIELDS) == [], path  # type: ignore[attr-defined]
    for username, paths in (
        ("provincial.63", ["/sync"]),
        ("admin", ["/admin/users", "/admin/calendar", "/admin/agencies", "/admin/outbox"]),
    ):
        page.context.clear_cookies()  # type: ignore[attr-defined]
        log_in(page, live_server, username)
        for path in paths:
            page.goto(live_server + path)  # type: ignore[attr-defined]
            assert page.evaluate(UNLABELLED_FIELDS) == [], path  # type: ignore[attr-defined]


def test_logging_in_with_the_keyboard_alone(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    page.goto(f"{live_server}/login")  # type: ignore[attr-defined]
    page.focus("input[name=username]")  # type: ignore[attr-defined]
    page.keyboard.type("drafter.6301")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.name") == "password"  # type: ignore[attr-defined]
    page.keyboard.type(factories.PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_server}/tasks")  # type: ignore[attr-defined]


def test_a_drafter_submits_with_javascript_switched_off_and_the_status_is_written_out(
    app_ctx: Flask, users: dict, live_server: str, page_without_javascript: object
) -> None:
    page = page_without_javascript
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans/{plan.id}")  # type: ignore[attr-defined]
    page.click("#action-submit button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_server}/plans/{plan.id}")  # type: ignore[attr-defined]
    # The state is a word in the badge, and the deadline says how many working days are left.
    assert page.locator("h1 .badge").inner_text().strip() == "Reviu Kabupaten/Kota"  # type: ignore[attr-defined]
    assert "hari kerja" in page.locator("#due").inner_text()  # type: ignore[attr-defined]


def test_the_first_tab_offers_a_skip_link_to_the_content(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    skip = page.locator("a.skip-link")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.className") == "skip-link"  # type: ignore[attr-defined]
    assert skip.get_attribute("href") == "#main"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # shown on the screen once focused
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "main"  # type: ignore[attr-defined]
