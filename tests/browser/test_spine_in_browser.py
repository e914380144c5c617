"""The spine in a real browser: a drafter submits a complete plan, the district reviewer
forwards it, the provincial reviewer returns it with a comment; each sees the result on the
page, and the history lists every step."""

from __future__ import annotations

from flask import Flask

from tests import factories
from tests.factories import PASSWORD
from workflow_app.extensions import db

from .conftest import screenshot


def log_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/tasks")  # type: ignore[attr-defined]


def log_out(page: object) -> None:
    page.context.clear_cookies()  # type: ignore[attr-defined]


def badge(page: object) -> str:
    return page.locator("h1 .badge").first.inner_text().strip()  # type: ignore[attr-defined]


def test_a_plan_goes_from_draft_to_returned_through_three_browsers(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    plan_url = f"{live_server}/plans/{plan.id}"

    log_in(page, live_server, "drafter.6301")
    screenshot(page, "drafter-tasks")
    page.goto(plan_url)  # type: ignore[attr-defined]
    page.click("#action-submit button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(plan_url)  # type: ignore[attr-defined]
    assert badge(page) == "Reviu Kabupaten/Kota"
    log_out(page)

    log_in(page, live_server, "reviewer.6301")
    screenshot(page, "reviewer-tasks")
    page.click(f"a[href='/plans/{plan.id}']")  # type: ignore[attr-defined]
    page.click("#action-forward button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(plan_url)  # type: ignore[attr-defined]
    assert badge(page) == "Sinkronisasi Provinsi"
    log_out(page)

    log_in(page, live_server, "provincial.63")
    page.goto(plan_url)  # type: ignore[attr-defined]
    # The return needs a comment: the browser itself refuses an empty one (required field).
    page.click("#action-return button[type=submit]")  # type: ignore[attr-defined]
    assert badge(page) == "Sinkronisasi Provinsi"
    page.fill("#comment-return", "Lengkapi baseline BABS")  # type: ignore[attr-defined]
    page.click("#action-return button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(plan_url)  # type: ignore[attr-defined]
    assert badge(page) == "Dikembalikan"
    screenshot(page, "provincial-plan")

    history = page.locator(".timeline").inner_text()  # type: ignore[attr-defined]
    assert "Lengkapi baseline BABS" in history
    for name in ("Drafter 6301", "Reviewer 6301", "Provincial 63"):
        assert name in history
