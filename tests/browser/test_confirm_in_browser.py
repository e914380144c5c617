"""Decisions that cannot be undone, in a real browser: the provincial reviewer's "Setujui" on the
sync page opens a confirmation page naming the plan, its region and what will happen, where
the approval gets its comment; the drafter's "Tarik rencana aksi" asks the same way, with
JavaScript switched off, and "back" changes nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.factories import PASSWORD
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans.models import ActionPlan

from .conftest import screenshot


def sign_in(page: object, base: str, username: str) -> None:
    """Through the login form (wherever the role then lands)."""
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert "/login" not in page.url  # type: ignore[attr-defined]


def stored(plan_id: int) -> tuple[str, int]:
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    return plan.state, plan.version


def last_comment(plan_id: int) -> str | None:
    return db.session.scalar(
        select(CaseTransition.comment)
        .where(CaseTransition.chain_id == plan_id)
        .order_by(CaseTransition.id.desc())
        .limit(1)
    )


def test_the_provincial_reviewer_approves_from_the_sync_page_with_a_comment(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    before = stored(plan.id)
    sign_in(page, live_server, "provincial.63")
    page.goto(f"{live_server}/sync")  # type: ignore[attr-defined]

    page.click(f"#sync-action-approve-{plan.id}")  # type: ignore[attr-defined]

    page.wait_for_url(f"{live_server}/plans/{plan.id}/confirm/approve?**")  # type: ignore[attr-defined]
    heading = page.locator("#confirm-title").inner_text()  # type: ignore[attr-defined]
    assert "Setujui" in heading
    assert page.locator("#confirm-case").inner_text() == plan.title  # type: ignore[attr-defined]
    assert "Tanah Laut" in page.locator("#confirm-region").inner_text()  # type: ignore[attr-defined]
    consequence = page.locator("#consequence").inner_text()  # type: ignore[attr-defined]
    assert "Pemantauan dimulai dengan sendirinya" in consequence
    screenshot(page, "confirm-approve")
    assert stored(plan.id) == before  # nothing happened yet

    page.fill("#confirm-comment", "Sesuai program provinsi; mohon segera dipantau.")  # type: ignore[attr-defined]
    page.click("#confirm-button")  # type: ignore[attr-defined]

    page.wait_for_url(f"{live_server}/sync")  # type: ignore[attr-defined]
    row = page.locator("#row-6301")  # type: ignore[attr-defined]
    assert row.get_attribute("data-state") == "approved"
    assert page.locator(f"#sync-action-approve-{plan.id}").count() == 0  # type: ignore[attr-defined]
    assert stored(plan.id)[0] == "approved"
    assert last_comment(plan.id) == "Sesuai program provinsi; mohon segera dipantau."


def test_withdrawing_asks_first_and_back_changes_nothing_without_javascript(
    app_ctx: Flask, users: dict, live_server: str, page_without_javascript: object
) -> None:
    page = page_without_javascript
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    before = stored(plan.id)
    plan_url = f"{live_server}/plans/{plan.id}"
    sign_in(page, live_server, "drafter.6301")
    page.goto(plan_url)  # type: ignore[attr-defined]

    page.click("#confirm-link-withdraw")  # type: ignore[attr-defined]
    assert "ditarik untuk seterusnya" in page.locator("#consequence").inner_text()  # type: ignore[attr-defined]
    page.click("#confirm-back")  # type: ignore[attr-defined]

    page.wait_for_url(plan_url)  # type: ignore[attr-defined]
    assert stored(plan.id) == before

    page.click("#confirm-link-withdraw")  # type: ignore[attr-defined]
    page.fill("#confirm-comment", "Digabung dengan rencana kabupaten yang baru")  # type: ignore[attr-defined]
    page.click("#confirm-button")  # type: ignore[attr-defined]

    page.wait_for_url(plan_url)  # type: ignore[attr-defined]
    assert page.locator("h1 .badge").first.get_attribute("data-state") == "withdrawn"  # type: ignore[attr-defined]
    assert stored(plan.id)[0] == "withdrawn"
    assert last_comment(plan.id) == "Digabung dengan rencana kabupaten yang baru"
