"""The escalation sweep: each scheduled step whose time has come is sent once — however often
the sweep runs, and when two sweeps run at once — to the people its definition names; a dry
run only tells; the steps of a stay the plan has left are never sent; and the sweep's cost
follows what is due, not how many plans exist."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from flask import Flask, current_app
from sqlalchemy import event, func, select, text, update

from tests import factories
from tests.db.test_scheduling import MONDAY, Clock, wita
from tests.private_postgres import private_postgres_app
from tests.statements import recorded_statements
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import FiredStep, run_sweep
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

# A plan submitted on MONDAY (2 March 2026, 10.00 WITA) has these steps:
REMINDER = wita(date(2026, 3, 6))  # Friday
DUE = wita(date(2026, 3, 9))
ESCALATION = wita(date(2026, 3, 11))  # to the district head
ESCALATION_PROVINCE = wita(date(2026, 3, 16))  # to the provincial reviewer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, MONDAY)


def submitted(users: dict, clock: Clock, at: datetime = MONDAY) -> ActionPlan:
    """A complete plan of 6301 submitted to district review at `at`."""
    clock.set(at)
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    return plan


def outbox() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def step_mail(plan: ActionPlan) -> list[tuple[str, str, str]]:
    """(event, step, recipient) of every escalation email of `plan`, in order."""
    return [
        (row.event, row.payload["step"], row.recipient.username)
        for row in outbox()
        if row.subject_id == plan.id and row.step_id is not None
    ]


def statuses(plan: ActionPlan) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(ScheduledStep).where(ScheduledStep.subject_is("plan", plan.id))
    )
    return {row.step: row.status for row in rows if row.status != "cancelled"}


def summary(fired: list[FiredStep]) -> list[tuple[int, str, list[str]]]:
    return [(f.subject_id, f.step, f.recipients) for f in fired]


# --- firing -------------------------------------------------------------------------------


def test_nothing_fires_before_its_time(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)
    assert run_sweep(REMINDER - timedelta(seconds=1)) == []
    assert statuses(plan) == dict.fromkeys(
        ("reminder", "due", "escalation", "escalation_province"), "pending"
    )
    assert outbox()[-1].event == "submit"  # only the submission's email


def test_the_reminder_fires_at_its_time_to_the_district_reviewer(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)

    fired = run_sweep(REMINDER)

    assert summary(fired) == [(plan.id, "reminder", ["reviewer.6301"])]
    assert fired[0].state == "district_review"
    assert fired[0].fire_at == REMINDER
    assert statuses(plan)["reminder"] == "done"
    [row] = [row for row in outbox() if row.step_id is not None]
    assert (row.event, row.recipient.username, row.status) == (
        "reminder",
        "reviewer.6301",
        "pending",
    )
    assert row.step_id == fired[0].step_id
    assert row.payload["step"] == "reminder"
    assert row.payload["at_working_days"] == -1
    assert datetime.fromisoformat(row.payload["fire_at"]) == REMINDER
    assert datetime.fromisoformat(row.payload["due_at"]) == DUE
    assert row.payload["region_name"] == "Tanah Laut"


def test_a_step_fires_once_however_often_the_sweep_runs(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)

    first = run_sweep(DUE)
    second = run_sweep(DUE)
    third = run_sweep(DUE + timedelta(hours=1))

    assert [f.step for f in first] == ["reminder", "due"]
    assert second == [] and third == []
    assert step_mail(plan) == [
        ("reminder", "reminder", "reviewer.6301"),
        ("due", "due", "reviewer.6301"),
    ]


def test_escalations_climb_to_the_head_then_the_province(users: dict, clock: Clock) -> None:
    head_en = factories.user("head.en", ("district_head", "6301"), language="en")
    factories.user("head.6304", ("district_head", "6304"))
    db.session.commit()
    plan = submitted(users, clock)
    run_sweep(DUE)

    assert summary(run_sweep(ESCALATION)) == [(plan.id, "escalation", ["head.6301", "head.en"])]
    assert summary(run_sweep(ESCALATION_PROVINCE)) == [
        (plan.id, "escalation_province", ["provincial.63"])
    ]
    assert step_mail(plan)[2:] == [
        ("escalation", "escalation", "head.6301"),
        ("escalation", "escalation", "head.en"),
        ("escalation", "escalation_province", "provincial.63"),
    ]
    languages = {row.recipient_id: row.language for row in outbox() if row.step_id}
    assert languages[head_en.id] == "en" and languages[users["head"].id] == "id"


def test_a_late_sweep_sends_everything_overdue_once(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)

    fired = run_sweep(ESCALATION_PROVINCE + timedelta(days=30))

    assert [f.step for f in fired] == ["reminder", "due", "escalation", "escalation_province"]
    assert len(step_mail(plan)) == 4
    assert set(statuses(plan).values()) == {"done"}


def test_only_due_plans_are_touched(users: dict, clock: Clock) -> None:
    early = submitted(users, clock)
    late = submitted(users, clock, at=wita(date(2026, 3, 5)))  # reminder on 11 March

    fired = run_sweep(REMINDER)

    assert summary(fired) == [(early.id, "reminder", ["reviewer.6301"])]
    assert set(statuses(late).values()) == {"pending"}


# --- a dry run ----------------------------------------------------------------------------


def test_a_dry_run_lists_recipients_and_changes_nothing(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)
    before = [(row.id, row.status) for row in outbox()]

    preview = run_sweep(ESCALATION, dry_run=True)

    assert summary(preview) == [
        (plan.id, "reminder", ["reviewer.6301"]),
        (plan.id, "due", ["reviewer.6301"]),
        (plan.id, "escalation", ["head.6301"]),
    ]
    assert [(row.id, row.status) for row in outbox()] == before
    assert set(statuses(plan).values()) == {"pending"}
    # What the preview announced is what a real sweep then does.
    assert summary(run_sweep(ESCALATION)) == summary(preview)
    assert run_sweep(ESCALATION, dry_run=True) == []


# --- plans that moved on ------------------------------------------------------------------


def test_steps_of_a_state_the_plan_left_are_not_sent(users: dict, clock: Clock) -> None:
    plan = submitted(users, clock)
    clock.set(wita(date(2026, 3, 4)))
    with unit_of_work():
        ops.transition(users["reviewer"], plan, "forward")
    sent = len(outbox())

    fired = run_sweep(ESCALATION_PROVINCE)

    # None of district review's four steps; provincial sync's reminder (due 25 March, two
    # working days before it is 16 March) to the province.
    assert summary(fired) == [(plan.id, "reminder", ["provincial.63"])]
    assert fired[0].state == "provincial_sync"
    assert [row.payload["state"] for row in outbox()[sent:]] == ["provincial_sync"]


def test_a_return_and_resubmission_sends_the_new_stays_steps_only(
    users: dict, clock: Clock
) -> None:
    plan = submitted(users, clock)
    clock.set(wita(date(2026, 3, 5)))
    with unit_of_work():
        ops.transition(users["reviewer"], plan, "return", comment="Lengkapi target")
    clock.set(wita(date(2026, 3, 6), 9))
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")  # due on 13 March, 09.00

    fired = run_sweep(wita(date(2026, 3, 13), 9))

    # The first stay's reminder (6 March, 10.00) and due notice (9 March) are not sent.
    assert [(f.step, f.fire_at.astimezone(WITA)) for f in fired] == [
        ("reminder", wita(date(2026, 3, 12), 9)),
        ("due", wita(date(2026, 3, 13), 9)),
    ]


def test_a_pending_step_whose_plan_is_elsewhere_is_not_sent(users: dict, clock: Clock) -> None:
    """Belt and braces: a step left pending for a state the plan has left (say, written by an
    older release) is claimed and dropped, never emailed."""
    plan = submitted(users, clock)
    clock.set(wita(date(2026, 3, 4)))
    with unit_of_work():
        ops.transition(users["reviewer"], plan, "forward")
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.subject_is("plan", plan.id), ScheduledStep.state == "district_review")
        .values(status="pending")
    )
    db.session.commit()
    sent = len(outbox())

    assert run_sweep(REMINDER) == []
    assert run_sweep(REMINDER, dry_run=True) == []
    assert len(outbox()) == sent


# --- cost follows what is due ---------------------------------------------------------------


def _statements(work: Callable[[], object]) -> int:
    """The SQL statements `work` sends, run in a fresh app context (so a session of its own,
    as a worker has: nothing the test loaded can hide a query)."""
    with recorded_statements() as statements, current_app.app_context():
        work()
    db.session.expire_all()
    return len(statements)


def test_the_sweep_costs_the_same_queries_among_few_or_many_waiting_plans(
    users: dict, clock: Clock
) -> None:
    thursday = wita(date(2026, 3, 5))  # plans submitted then are due next week
    submitted(users, clock)
    submitted(users, clock, at=thursday)
    fired: list[list[FiredStep]] = []
    few = _statements(lambda: fired.append(run_sweep(REMINDER)))

    submitted(users, clock)
    for _ in range(6):
        submitted(users, clock, at=thursday)
    many = _statements(lambda: fired.append(run_sweep(REMINDER)))

    assert [[f.step for f in run] for run in fired] == [["reminder"], ["reminder"]]
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 9
    assert many == few


def test_the_due_steps_query_uses_the_status_fire_at_index_on_sqlite(
    app_ctx: Flask, users: dict, clock: Clock
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL's is checked on its own database below")
    submitted(users, clock)
    details = _explain("EXPLAIN QUERY PLAN", REMINDER)
    assert "USING COVERING INDEX ix_scheduled_step_status_fire_at" in details, details


def _due_query(at: datetime) -> tuple[str, object]:
    """The SQL and parameters, as sent to the driver, with which the sweep reads its due
    steps (captured from a dry run), to be explained."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM scheduled_step" in statement and "fire_at <=" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run_sweep(at, dry_run=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert captured, "the sweep did not query scheduled_step by fire_at"
    return captured[0]


def _explain(prefix: str, at: datetime) -> str:
    statement, parameters = _due_query(at)
    rows = db.session.connection().exec_driver_sql(f"{prefix} {statement}", parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


# --- PostgreSQL: two sweeps at once; the index with a million done steps --------------------

DATABASE = "wf_sweep"


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def pg_users(pg_app: Flask) -> Iterator[dict]:
    """An app context on the sweep's own database, with the standard users; emptied after."""
    with pg_app.app_context():
        people = factories.standard_users()
        db.session.commit()
        yield people
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()


@pytest.mark.postgres
def test_two_sweeps_at_once_send_each_step_once(pg_app: Flask, pg_users: dict) -> None:
    plans = [factories.plan_in_state(pg_users, "district_review") for _ in range(8)]
    steps = db.session.scalars(
        select(ScheduledStep.id).where(ScheduledStep.status == "pending")
    ).all()
    assert len(steps) == 8 * 4
    db.session.remove()
    later = utcnow() + timedelta(days=60)

    # Both sweeps read the same due steps before either claims one: each waits for the other
    # right after its first due-steps query.
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()

    def hold(conn, cursor, statement, parameters, context, executemany) -> None:
        due_query = "FROM scheduled_step" in statement and "fire_at <=" in statement
        if due_query and not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()

    results: list[list[FiredStep] | BaseException] = [[], []]

    def sweep(index: int) -> None:
        with pg_app.app_context():
            try:
                results[index] = run_sweep(later)
            except BaseException as exc:  # reported below
                results[index] = exc
                barrier.abort()
            finally:
                db.session.remove()

    event.listen(db.engine, "after_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung"
    first, second = results
    assert isinstance(first, list) and isinstance(second, list), results

    fired_ids = [f.step_id for f in first] + [f.step_id for f in second]
    assert sorted(fired_ids) == sorted(steps)  # every step fired, by one sweep only
    rows = db.session.execute(
        select(Notification.step_id, func.count())
        .where(Notification.step_id.is_not(None))
        .group_by(Notification.step_id)
    ).all()
    assert {step_id: count for step_id, count in rows} == dict.fromkeys(steps, 1)
    assert db.session.scalar(
        select(func.count()).select_from(ScheduledStep).where(ScheduledStep.status == "done")
    ) == len(steps)
    assert len(plans) == 8


@pytest.mark.postgres
def test_the_due_steps_query_uses_the_index_among_many_done_steps(
    pg_app: Flask, pg_users: dict
) -> None:
    plan = factories.plan_in_state(pg_users, "district_review")
    entry_id = db.session.scalars(
        select(ScheduledStep.entry_id).where(ScheduledStep.subject_is("plan", plan.id))
    ).first()
    # 40,000 steps fired in the past year, and 4,000 waiting for next year: what years of
    # use leave. The planner sees many past times and many pending rows, and nothing due.
    db.session.execute(
        text(
            "INSERT INTO scheduled_step (subject_kind, subject_id, entry_id, state, step, fire_at,"
            " status, done_at)"
            " SELECT 'plan', :plan, :entry, 'district_review', 'old_' || n,"
            "  CASE WHEN n <= 40000 THEN now() - n * interval '10 minutes'"
            "   ELSE now() + interval '365 days' + n * interval '1 minute' END,"
            "  CASE WHEN n <= 40000 THEN 'done' ELSE 'pending' END,"
            "  CASE WHEN n <= 40000 THEN now() END"
            " FROM generate_series(1, 44000) AS n"
        ),
        {"plan": plan.id, "entry": entry_id},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE scheduled_step"))
    db.session.commit()

    explained = _explain("EXPLAIN", utcnow())
    assert "ix_scheduled_step_status_fire_at" in explained, explained
    assert "Seq Scan" not in explained, explained
