"""The plan history as a hash chain: a real story verifies; a row edited, deleted, re-linked,
renumbered or moved with raw SQL (past the ORM's append-only guard) is found and named by
`workflow-app audit verify`, which exits 5 then. (The 0007 backfill and the 0011 migration of
old rows: tests/db/test_generic_subjects_migration.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.audit.chain import row_hash
from workflow_app.audit.verify import Break, Reason, verify_database
from workflow_app.commands.exits import EXIT_BROKEN_CHAIN
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.history import CaseTransition, new_history_row
from workflow_app.monitoring import operations as report_ops
from workflow_app.monitoring.models import ProgressReport
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

STORY = [
    "create",
    "submit",
    "return",
    "submit",
    "forward",
    "approve",
    "start_monitoring",
    "open",
    "submit",
    "verify",
]


def story(users: dict[str, User], code: str = "6301") -> tuple[ActionPlan, ProgressReport]:
    """Created, submitted, returned, resubmitted, approved, monitored; a report opened,
    submitted and verified: every kind of history row, committed."""
    drafter, reviewer, provincial = users["drafter"], users["reviewer"], users["provincial"]
    plan = factories.complete_plan(drafter, code)
    ops.transition(drafter, plan, "submit")
    ops.transition(reviewer, plan, "return", comment="Lengkapi baseline <b>BABS</b>\r\nSegera")
    ops.transition(drafter, plan, "submit")
    ops.transition(reviewer, plan, "forward")
    ops.transition(provincial, plan, "approve")
    ops.transition(provincial, plan, "start_monitoring")
    report = report_ops.open_report(system_user(), plan, Quarter(2026, 3), current_calendar())
    assert report is not None
    lines = [
        report_ops.LineData(line.activity_id, Decimal(45), 500_000_000) for line in report.lines
    ]
    report_ops.save_report(drafter, report, expected_version=None, lines=lines)
    report_ops.report_transition(drafter, report, "submit")
    report_ops.report_transition(provincial, report, "verify")
    db.session.commit()
    return plan, report


def history_ids(plan_id: int) -> dict[str, list[int]]:
    """Row ids of the plan's chain by trigger, in id order."""
    found: dict[str, list[int]] = {}
    for row_id, trigger in db.session.execute(
        select(CaseTransition.id, CaseTransition.trigger)
        .where(CaseTransition.chain_id == plan_id)
        .order_by(CaseTransition.id)
    ):
        found.setdefault(trigger, []).append(row_id)
    return found


def raw(sql: str, **params: object) -> None:
    """Tamper as someone with database access would: plain SQL, committed, no ORM guard."""
    db.session.commit()  # ends the session's transaction; its objects reload afterwards
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def verdict_breaks() -> list[Break]:
    return verify_database(db.engine).breaks


def delete_row(row_id: int) -> None:
    # Its scheduled steps point at it; a tamperer removes those as well.
    raw("DELETE FROM scheduled_step WHERE entry_id = :id", id=row_id)
    raw("DELETE FROM plan_transition WHERE id = :id", id=row_id)


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


def test_a_whole_story_forms_one_chain_that_verifies(
    users: dict[str, User], runner: FlaskCliRunner
) -> None:
    plan, _ = story(users)
    rows = db.session.scalars(
        select(CaseTransition).where(CaseTransition.chain_id == plan.id).order_by(CaseTransition.id)
    ).all()
    assert [row.trigger for row in rows] == STORY
    assert [row.subject_kind == "report" for row in rows] == [False] * 7 + [True] * 3
    # Each row links to the one before it, plan and report rows alike, in one chain.
    assert rows[0].prev_hash is None
    assert [row.prev_hash for row in rows[1:]] == [row.row_hash for row in rows[:-1]]
    assert len({row.row_hash for row in rows}) == len(rows)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"OK: 1 chains, {len(STORY)} rows; admin log: 0 acts"


def test_two_plans_are_two_chains(users: dict[str, User], runner: FlaskCliRunner) -> None:
    first, _ = story(users)
    second = factories.plan_in_state(users, "returned")
    other = factories.plan_in_state(dict(users, drafter=users["other_drafter"]), "draft", "6304")
    first_ids, second_ids = history_ids(first.id), history_ids(second.id)
    # Interleaved ids do not matter: each plan's chain starts afresh.
    assert db.session.get(CaseTransition, second_ids["create"][0]).prev_hash is None
    assert db.session.get(CaseTransition, history_ids(other.id)["create"][0]).prev_hash is None

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    rows = sum(map(len, first_ids.values())) + sum(map(len, second_ids.values())) + 1
    assert result.output.strip() == f"OK: 3 chains, {rows} rows; admin log: 0 acts"


def test_a_comment_edited_in_the_database_is_found_and_its_row_named(
    users: dict[str, User], runner: FlaskCliRunner
) -> None:
    plan, _ = story(users)
    intact = factories.plan_in_state(users, "approved")
    [returned] = history_ids(plan.id)["return"]
    raw("UPDATE plan_transition SET comment = 'Sudah lengkap' WHERE id = :id", id=returned)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == EXIT_BROKEN_CHAIN
    assert f"plan {plan.id}: row {returned}: content changed" in result.output
    assert f"plan {intact.id}:" not in result.output  # the other chain is fine
    assert verdict_breaks() == [
        Break("plan", plan.id, returned, Reason.CONTENT_CHANGED, "its hash does not match")
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_id", None),  # filled below: another user took the step
        ("to_state", "approved"),
        ("created_at", None),  # filled below: the step moved a day back
        ("role", "provincial_reviewer"),
    ],
)
def test_any_edited_column_is_found(users: dict[str, User], column: str, value: object) -> None:
    plan, _ = story(users)
    [forwarded] = history_ids(plan.id)["forward"]
    if column == "actor_id":
        value = users["head"].id
    if column == "created_at":
        stored = db.session.get(CaseTransition, forwarded).created_at
        value = stored - timedelta(days=1)
        if db.engine.dialect.name == "sqlite":
            value = value.replace(tzinfo=None).isoformat(sep=" ")
    raw(f"UPDATE plan_transition SET {column} = :value WHERE id = :id", value=value, id=forwarded)

    assert verdict_breaks() == [
        Break("plan", plan.id, forwarded, Reason.CONTENT_CHANGED, "its hash does not match")
    ]


def test_a_row_deleted_from_the_middle_is_found_at_the_row_after_it(
    users: dict[str, User], runner: FlaskCliRunner
) -> None:
    plan, _ = story(users)
    ids = history_ids(plan.id)
    [returned] = ids["return"]
    resubmitted = ids["submit"][1]
    delete_row(returned)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == EXIT_BROKEN_CHAIN
    assert f"plan {plan.id}: row {resubmitted}: row missing" in result.output
    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (resubmitted, Reason.ROW_MISSING)


def test_rows_cut_off_the_end_are_found(users: dict[str, User]) -> None:
    """The links left are intact, but the report is verified and its history says otherwise."""
    plan, report = story(users)
    ids = history_ids(plan.id)
    delete_row(ids["verify"][0])

    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (ids["submit"][-1], Reason.ROW_MISSING)
    assert f"report {report.id}" in found.detail


def test_the_first_row_deleted_is_found(users: dict[str, User]) -> None:
    plan, _ = story(users)
    ids = history_ids(plan.id)
    delete_row(ids["create"][0])

    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (ids["submit"][0], Reason.ROW_MISSING)


def test_a_plan_without_any_history_is_found(users: dict[str, User]) -> None:
    plan = factories.plan_in_state(users, "draft")
    delete_row(history_ids(plan.id)["create"][0])

    assert verdict_breaks() == [
        Break("plan", plan.id, None, Reason.ROW_MISSING, "the plan has no history")
    ]


def test_a_row_rewritten_with_its_hash_recomputed_breaks_the_link_after_it(
    users: dict[str, User],
) -> None:
    """Someone who knows the algorithm rewrites a row and its hash: the next row still points
    at the hash of the original."""
    plan, _ = story(users)
    ids = history_ids(plan.id)
    [returned] = ids["return"]
    row = dict(
        db.session.execute(select(CaseTransition.__table__).where(CaseTransition.id == returned))
        .mappings()
        .one()
    )
    row["comment"] = "Sudah lengkap"
    raw(
        "UPDATE plan_transition SET comment = :comment, row_hash = :hash WHERE id = :id",
        comment=row["comment"],
        hash=row_hash(row["prev_hash"], row),
        id=returned,
    )

    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (ids["submit"][1], Reason.ROW_MISSING)


def test_a_row_relinked_past_its_predecessor_is_found(users: dict[str, User]) -> None:
    """The resubmission is re-linked to the first submission (hiding the return) with a
    recomputed hash: it no longer links to the row before it."""
    plan, _ = story(users)
    ids = history_ids(plan.id)
    resubmitted = ids["submit"][1]
    first_submission = db.session.get(CaseTransition, ids["submit"][0])
    row = dict(
        db.session.execute(select(CaseTransition.__table__).where(CaseTransition.id == resubmitted))
        .mappings()
        .one()
    )
    new_link = first_submission.row_hash
    raw(
        "UPDATE plan_transition SET prev_hash = :link, row_hash = :hash WHERE id = :id",
        link=new_link,
        hash=row_hash(new_link, row),
        id=resubmitted,
    )

    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (resubmitted, Reason.LINK_BROKEN)


def test_a_link_rewritten_without_its_hash_is_found(users: dict[str, User]) -> None:
    plan, _ = story(users)
    resubmitted = history_ids(plan.id)["submit"][1]
    raw("UPDATE plan_transition SET prev_hash = NULL WHERE id = :id", id=resubmitted)

    [found] = verdict_breaks()
    assert (found.row_id, found.reason) == (resubmitted, Reason.CONTENT_CHANGED)


def test_a_row_renumbered_or_moved_to_another_plan_is_found(users: dict[str, User]) -> None:
    plan, _ = story(users)
    other = factories.plan_in_state(users, "draft")
    ids = history_ids(plan.id)
    verified = ids["verify"][0]
    raw("UPDATE plan_transition SET id = :new WHERE id = :id", new=verified + 1000, id=verified)
    [found] = verdict_breaks()
    assert (found.chain_id, found.row_id, found.reason) == (
        plan.id,
        verified + 1000,
        Reason.CONTENT_CHANGED,
    )

    returned = ids["return"][0]
    raw(
        "UPDATE plan_transition SET chain_id = :other, subject_id = :other WHERE id = :id",
        other=other.id,
        id=returned,
    )
    found_by_plan = {b.chain_id: (b.row_id, b.reason) for b in verdict_breaks()}
    assert found_by_plan[other.id] == (returned, Reason.CONTENT_CHANGED)


def test_several_plans_broken_are_each_named(
    users: dict[str, User], runner: FlaskCliRunner
) -> None:
    first = factories.plan_in_state(users, "approved")
    second = factories.plan_in_state(users, "returned")
    fine = factories.plan_in_state(users, "monitored")
    first_row = history_ids(first.id)["forward"][0]
    second_row = history_ids(second.id)["return"][0]
    raw("UPDATE plan_transition SET trigger = 'approve' WHERE id = :id", id=first_row)
    raw("UPDATE plan_transition SET comment = NULL WHERE id = :id", id=second_row)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == EXIT_BROKEN_CHAIN
    lines = result.output.strip().splitlines()
    assert lines[:2] == [
        f"plan {first.id}: row {first_row}: content changed: its hash does not match",
        f"plan {second.id}: row {second_row}: content changed: its hash does not match",
    ]
    assert lines[2].startswith("BROKEN: 2 of 3 chains")
    assert f"plan {fine.id}" not in result.output


def test_the_times_hashed_are_the_times_read_back(users: dict[str, User]) -> None:
    """A time given in WITA with microseconds hashes the same once stored and read back in
    UTC (SQLite keeps it without offset, PostgreSQL as timestamptz)."""
    plan = factories.plan_in_state(users, "draft")
    wita = timezone(timedelta(hours=8))
    db.session.add(
        new_history_row(
            plan,
            workflow_version=1,
            from_state="draft",
            to_state="draft",
            trigger="note",
            actor_id=users["drafter"].id,
            role="district_drafter",
            comment="Catatan — ümlaut ✓",
            created_at=datetime(2026, 12, 7, 8, 0, 0, 123456, tzinfo=wita),
        )
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(
        select(CaseTransition).where(CaseTransition.trigger == "note")
    ).one()
    assert stored.created_at == datetime(2026, 12, 7, 0, 0, 0, 123456, tzinfo=UTC)
    assert verdict_breaks() == []


def test_rows_added_in_one_flush_are_linked_in_order(users: dict[str, User]) -> None:
    """However rows reach the session, even several plans' rows in one flush, each plan's
    chain comes out linked and the ids unique."""
    first = factories.plan_in_state(users, "draft")
    second = factories.plan_in_state(users, "draft")
    for plan in (first, second, first, second, first):
        db.session.add(
            new_history_row(
                plan,
                workflow_version=1,
                from_state="draft",
                to_state="draft",
                trigger="note",
                actor_id=users["drafter"].id,
                role="district_drafter",
            )
        )
    db.session.commit()

    assert len(history_ids(first.id)["note"]) == 3
    assert len(history_ids(second.id)["note"]) == 2
    assert verdict_breaks() == []


def test_history_rows_still_refuse_updates_and_deletes(users: dict[str, User]) -> None:
    plan = factories.plan_in_state(users, "district_review")
    row = db.session.get(CaseTransition, history_ids(plan.id)["submit"][0])
    row.comment = "diubah"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
