"""What the plan page (GET /plans/<id>) costs in SQL statements: its contents are read in one
statement per shape (the plan with its challenges, the indicators with their targets, the
activities with their funding, the history with its actors), however many rows each has; the
history's actors' roles, which the page never shows, are not read; the realisation section's
report lines and values are read as plain numbers, in one statement, without the activities
and indicators they name."""

from __future__ import annotations

import re

from flask import Flask

from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans import views as plan_views
from workflow_app.reviews.operations import add_comment

from .. import factories
from ..conftest import signed_in
from ..statements import recorded_statements


def _statements(app: Flask, username: str, url: str) -> list[str]:
    client = signed_in(app, username)
    with app.app_context():
        assert client.get(url).status_code == 200  # warm: caches of the shell and calendar
    # The request in an app context of its own: its own session, as in production.
    with recorded_statements() as statements, app.app_context():
        assert client.get(url).status_code == 200
    return statements


def _main_table(statement: str) -> str:
    """The table a SELECT reads (its top level's FROM, not a subquery's); for a selectin
    load through an aliased parent (`FROM action_plan AS action_plan_1 JOIN plan_transition`),
    the table it loads."""
    # Subqueries dropped first: one among the columns (the shell's count of unread
    # notifications, the plan page's EXISTS of reports and comments) has its FROM before it.
    outer, inner = "", statement
    while inner != outer:
        outer, inner = inner, re.sub(r"\([^()]*\)", "", inner)
    found = re.search(r"\bFROM\s+\"?(\w+)\"?(?:\s+AS\s+\S+\s+JOIN\s+\"?(\w+))?", outer)
    return (found.group(2) or found.group(1)) if found else ""


def _reads_of(statements: list[str], table: str) -> int:
    return sum(1 for statement in statements if _main_table(statement) == table)


def test_the_contents_cost_one_statement_per_shape_whatever_their_size(
    app_ctx: Flask, users: dict
) -> None:
    small = factories.plan_in_state(users, "returned")
    large = factories.plan_in_state(users, "returned")
    ops.transition(users["drafter"], large, "submit")
    ops.transition(users["reviewer"], large, "return", comment="Lengkapi lagi")
    for n in range(3):
        funding = [ops.FundingData(year=2026 + k, source="dak", amount=10**8) for k in range(3)]
        data = ops.ActivityData(
            sub_sector="wastewater",
            activity_type="lltt",
            title=f"Kegiatan {n}",
            location="Pelaihari",
            volume=None,
            unit="",
            agency_id=factories.agency("6301").id,
            start_year=2026,
            end_year=2028,
            funding=funding,
        )
        ops.add_activity(users["drafter"], large, expected_version=None, data=data)
    db.session.commit()
    small_id, large_id = small.id, large.id

    few = _statements(app_ctx, "drafter.6301", f"/plans/{small_id}")
    many = _statements(app_ctx, "drafter.6301", f"/plans/{large_id}")

    for statements in (few, many):
        # Targets and funding come with their indicators and activities, the challenges with
        # the plan: none of them in a statement of their own.
        assert _reads_of(statements, "indicator_target") == 0
        assert _reads_of(statements, "funding") == 0
        assert _reads_of(statements, "challenge") == 0
        assert _reads_of(statements, "indicator") == 1
        assert _reads_of(statements, "activity") == 1
        # The history's actors come without their roles.
        assert _reads_of(statements, "role_assignment") == 0
    # Four activities and twice the history against one: the same statements, but for the
    # snapshots, which only a plan submitted twice has to compare (test_plan_page2_counts).
    assert [_main_table(s) for s in many if _main_table(s) != "plan_snapshot"] == [
        _main_table(s) for s in few
    ]
    assert _reads_of(many, "plan_snapshot") == 1


def test_a_monitored_plan_reads_its_reports_without_reading_the_contents_again(
    app_ctx: Flask, users: dict
) -> None:
    plan, _report = factories.reported_plan(users)

    statements = _statements(app_ctx, "provincial.63", f"/plans/{plan.id}")

    assert _reads_of(statements, "progress_report") == 1
    # The lines and the indicator values: their numbers in one statement, without their
    # activities and indicators.
    assert _reads_of(statements, "report_line") == 1
    assert _reads_of(statements, "report_indicator_value") == 0
    (reports,) = [s for s in statements if _main_table(s) == "progress_report"]
    (figures,) = [s for s in statements if _main_table(s) == "report_line"]
    assert "action_plan" not in reports
    assert "report_indicator_value" in figures
    assert "JOIN activity" not in figures
    assert "JOIN indicator" not in figures
    assert _reads_of(statements, "indicator_target") == 0
    assert _reads_of(statements, "funding") == 0
    assert _reads_of(statements, "role_assignment") == 0
    # The shell's notifications, the plan with its challenges, its indicators and activities,
    # history, reports (2: the reports, their lines' and values' figures), the calendar, the
    # review panel's comments: 9 (16 before; the panel counts the submissions from the history
    # and, for a plan submitted once, reads no snapshots).
    assert len(statements) <= 9, "\n".join(_main_table(s) for s in statements)


def test_the_page_loader_reads_the_plan_once_and_hides_what_the_reader_may_not_see(
    app_ctx: Flask, users: dict, monkeypatch
) -> None:
    """The plan page's loader (detail_page.load_visible_page_plan): the plan's row and its
    challenges in one statement, not read a second time for the contents as with the
    actions' loader (operations.load_visible_plan)."""
    plan, _report = factories.reported_plan(users)
    elsewhere = factories.plan_in_state(factories.district_people(users, "6304"), "draft", "6304")
    url, hidden = f"/plans/{plan.id}", f"/plans/{elsewhere.id}"
    statements = _statements(app_ctx, "drafter.6301", url)
    monkeypatch.setattr(plan_views, "load_visible_page_plan", ops.load_visible_plan)

    with_the_actions_loader = _statements(app_ctx, "drafter.6301", url)

    assert _reads_of(with_the_actions_loader, "action_plan") == 2
    assert _reads_of(statements, "action_plan") == 1
    # One less for the plan's row, one less for the review comments: it has none, which the
    # page's loader read with the plan's row.
    assert len(statements) == len(with_the_actions_loader) - 2
    monkeypatch.undo()
    # "Not found", as the loader it replaces says, for a plan of another district.
    with app_ctx.app_context():
        assert signed_in(app_ctx, "drafter.6301").get(hidden).status_code == 404


def test_a_resubmitted_plans_page_reads_its_comments_once(app_ctx: Flask, users: dict) -> None:
    """The review panel and its follow-up of the last return share one read of the comments
    (the follow-up read them again: 2 before)."""
    plan = factories.plan_in_state(users, "district_review")
    add_comment(users["reviewer"], plan, "plan", None, "Target tahunan belum diisi")
    ops.transition(users["reviewer"], plan, "return", comment="Lengkapi target")
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()

    statements = _statements(app_ctx, "reviewer.6301", f"/plans/{plan.id}")

    assert _reads_of(statements, "review_comment") == 1
