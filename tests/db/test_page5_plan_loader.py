"""The plan page's loader reads, with the plan's row, whether the plan has progress reports and
review comments (detail_page.load_visible_page_plan): a plan with neither, most of them, sends
no statement for the realisation section or the review panel; a plan with them reads and shows
them as before, and so does a page not loaded by it (after a refused action)."""

from __future__ import annotations

from flask import Flask

from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.reviews.operations import add_comment

from .. import factories
from ..conftest import csrf_token, signed_in
from ..statements import statements_of_a_get


def _reads(statements: list[str], table: str) -> int:
    """The ORM reads of `table`'s rows (their SELECT begins with its columns)."""
    return sum(1 for s in statements if s.lstrip().startswith(f"SELECT {table}."))


def test_a_plan_without_reports_or_comments_reads_neither(app_ctx: Flask, users: dict) -> None:
    plan_id = factories.plan_in_state(users, "district_review").id
    db.session.commit()
    client = signed_in(app_ctx, "reviewer.6301")
    statements_of_a_get(app_ctx, client, f"/plans/{plan_id}")  # warm the shell's caches

    statements = statements_of_a_get(app_ctx, client, f"/plans/{plan_id}")

    assert _reads(statements, "progress_report") == 0
    assert _reads(statements, "review_comment") == 0
    with app_ctx.app_context():
        page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert 'id="realisation' not in page
    assert 'id="review-comment-' not in page


def test_a_plan_with_comments_or_reports_reads_and_shows_them(app_ctx: Flask, users: dict) -> None:
    commented = factories.plan_in_state(users, "district_review")
    add_comment(users["reviewer"], commented, "plan", None, "Target tahunan belum diisi")
    reported, _report = factories.reported_plan(users)
    db.session.commit()
    client = signed_in(app_ctx, "reviewer.6301")
    commented_url, reported_url = f"/plans/{commented.id}", f"/plans/{reported.id}"
    statements_of_a_get(app_ctx, client, commented_url)

    with_comments = statements_of_a_get(app_ctx, client, commented_url)
    with_reports = statements_of_a_get(app_ctx, client, reported_url)

    assert (_reads(with_comments, "review_comment"), _reads(with_comments, "progress_report")) == (
        1,
        0,
    )
    assert (_reads(with_reports, "review_comment"), _reads(with_reports, "progress_report")) == (
        0,
        1,
    )
    with app_ctx.app_context():
        assert "Target tahunan belum diisi" in client.get(commented_url).get_data(as_text=True)
        assert 'id="realisation' in client.get(reported_url).get_data(as_text=True)


def test_the_page_after_a_refused_action_still_shows_the_comments(
    app_ctx: Flask, users: dict
) -> None:
    """A page not loaded by the page's loader (the actions' loader, after a refusal) knows
    nothing of the plan's comments: it reads them."""
    plan = factories.plan_in_state(users, "district_review")
    add_comment(users["reviewer"], plan, "plan", None, "Lengkapi data dukung")
    stale = plan.version
    ops.transition(users["reviewer"], plan, "return", comment="Lengkapi")
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    client = signed_in(app_ctx, "reviewer.6301")
    with app_ctx.app_context():
        token = csrf_token(client, f"/plans/{plan.id}")
        answer = client.post(
            f"/plans/{plan.id}/transition",
            data={"csrf_token": token, "trigger": "forward", "version": stale},
        )
    assert answer.status_code == 409
    assert "Lengkapi data dukung" in answer.get_data(as_text=True)


def test_another_districts_plan_is_not_found(app_ctx: Flask, users: dict) -> None:
    elsewhere = factories.plan_in_state(factories.district_people(users, "6304"), "draft", "6304")
    db.session.commit()
    with app_ctx.app_context():
        answer = signed_in(app_ctx, "reviewer.6301").get(f"/plans/{elsewhere.id}")
    assert answer.status_code == 404
