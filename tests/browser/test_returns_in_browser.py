"""A returned plan explains itself in a real browser: the drafter finds why it came back on
"My tasks" and at the top of the plan, follows the checklist to the open comment and answers
it in its thread; the reviewer then reads the answer."""

from __future__ import annotations

from flask import Flask

from tests import factories
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.reviews import operations as reviews

from .conftest import log_in, log_out, screenshot

REASON = "Volume LLTT belum sesuai data Dinas Kesehatan"
REMARK = "Berapa KK yang dilayani per tahun?"
ANSWER = "Dinaikkan menjadi 1.500 KK sesuai data Dinkes 2025"


def test_the_drafter_reads_why_and_answers_the_comment(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    comment = reviews.add_comment(
        users["reviewer"], plan, "activity", plan.activities[0].id, REMARK
    )
    ops.transition(users["reviewer"], plan, "return", comment=REASON)
    db.session.commit()
    plan_url = f"{live_server}/plans/{plan.id}"

    log_in(page, live_server, "drafter.6301")
    task = page.locator(f"#task-returned-{plan.id}")  # type: ignore[attr-defined]
    assert REASON in task.inner_text() and "Reviewer 6301" in task.inner_text()
    page.click(f"#task-{plan.id} a[href='/plans/{plan.id}']")  # type: ignore[attr-defined]
    page.wait_for_url(plan_url)  # type: ignore[attr-defined]

    # The reason is at the top, above the actions, visible without scrolling far.
    box = page.locator("#returned")  # type: ignore[attr-defined]
    assert REASON in box.inner_text() and "Reviewer 6301" in box.inner_text()
    actions = page.locator("#actions-title")  # type: ignore[attr-defined]
    assert box.bounding_box()["y"] < actions.bounding_box()["y"]
    screenshot(page, "returned-plan-drafter")

    # The checklist does not say "complete": it links to the open comment.
    page.click("#checklist-notes-submit a")  # type: ignore[attr-defined]
    page.click(f"#open-comments a[href='#review-comment-{comment.id}']")  # type: ignore[attr-defined]
    thread = page.locator(f"#review-comment-{comment.id}")  # type: ignore[attr-defined]
    assert REMARK in thread.inner_text()
    thread.locator("details.reply-form summary").click()
    thread.locator("textarea").fill(ANSWER)
    thread.locator("details.reply-form button[type=submit]").click()
    page.wait_for_url(f"{plan_url}#review-comment-{comment.id}")  # type: ignore[attr-defined]

    thread = page.locator(f"#review-comment-{comment.id}")  # type: ignore[attr-defined]
    assert ANSWER in thread.locator(".review-replies").inner_text()
    answered = page.locator(f"#open-comments li[data-comment-id='{comment.id}']")  # type: ignore[attr-defined]
    assert answered.get_attribute("data-answered") == "1"
    screenshot(page, "returned-plan-answered")
    log_out(page)

    log_in(page, live_server, "reviewer.6301")
    page.goto(plan_url)  # type: ignore[attr-defined]
    thread = page.locator(f"#review-comment-{comment.id}")  # type: ignore[attr-defined]
    assert ANSWER in thread.inner_text() and "Drafter 6301" in thread.inner_text()
