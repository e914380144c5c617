"""Two reports of one plan submitted at the same moment on PostgreSQL: both steps are kept and
the plan's history chain does not fork (the second links to the first).

Report steps do not touch the plan row, so only the chain's own lock on it serialises them.
Runs on a database of its own, like test_concurrency_pg.py; each thread is one web request,
held just before its UPDATE of its report (`held_before_update`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from tests.db.test_concurrency_pg import held_before_update
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.accounts.system import system_user
from workflow_app.audit.verify import verify_database
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.monitoring import operations as report_ops
from workflow_app.monitoring.quarters import Quarter
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_audit_concurrency"
ROUNDS = 5


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def drafter(pg_app: Flask) -> Iterator[str]:
    with pg_app.app_context():
        factories.standard_users()
        db.session.commit()
        db.session.remove()
    yield "drafter.6301"
    empty_tables(pg_app)


def _plan_with_two_filled_reports(app: Flask) -> tuple[int, list[int]]:
    with app.app_context():
        users = {
            key: db.session.scalars(select(User).where(User.username == name)).one()
            for key, name in (("drafter", "drafter.6301"), ("reviewer", "reviewer.6301"))
        } | {
            "provincial": db.session.scalars(
                select(User).where(User.username == "provincial.63")
            ).one()
        }
        plan = factories.plan_in_state(users, "monitored")
        report_ids = []
        for quarter in (Quarter(2026, 2), Quarter(2026, 3)):
            report = report_ops.open_report(system_user(), plan, quarter, current_calendar())
            assert report is not None
            lines = [
                report_ops.LineData(line.activity_id, Decimal(40), 300_000_000)
                for line in report.lines
            ]
            report_ops.save_report(users["drafter"], report, expected_version=None, lines=lines)
            report_ids.append(report.id)
        db.session.commit()
        plan_id = plan.id
        db.session.remove()
    return plan_id, report_ids


def _submit_both_at_once(app: Flask, username: str, report_ids: list[int]) -> list[str]:
    """Each thread loads its report and passes every check; a barrier just before the
    UPDATE of its report releases both writes together."""
    barrier = threading.Barrier(len(report_ids), timeout=20)
    results = ["not run"] * len(report_ids)
    with held_before_update(app, "progress_report", barrier) as arm:
        _run_both(app, username, report_ids, results, barrier, arm)
    return results


def _run_both(
    app: Flask,
    username: str,
    report_ids: list[int],
    results: list[str],
    barrier: threading.Barrier,
    arm: Callable[[], None],
) -> None:
    def run(index: int, report_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.scalars(select(User).where(User.username == username)).one()
                report = report_ops.load_visible_report(actor, report_id)
                arm()
                with unit_of_work():
                    report_ops.report_transition(actor, report, "submit")
                results[index] = "done"
            except BaseException as exc:  # reported by the assertions below
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(index, report_id))
        for index, report_id in enumerate(report_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a submission hung"


def test_two_report_steps_at_once_extend_the_chain_without_a_fork(
    pg_app: Flask, drafter: str
) -> None:
    for _ in range(ROUNDS):
        plan_id, report_ids = _plan_with_two_filled_reports(pg_app)
        results = _submit_both_at_once(pg_app, drafter, report_ids)
        assert results == ["done", "done"], results

        with pg_app.app_context(), Session(db.engine) as session:
            rows = session.scalars(
                select(CaseTransition)
                .where(CaseTransition.chain_id == plan_id)
                .order_by(CaseTransition.id)
            ).all()
            submissions = [row for row in rows if row.subject_kind == "report"][-2:]
            assert {row.trigger for row in submissions} == {"submit"}
            assert {row.subject_id for row in submissions} == set(report_ids)
            # One line: each row links to the one just before it, none share a predecessor.
            assert [row.prev_hash for row in rows[1:]] == [row.row_hash for row in rows[:-1]]
            verdict = verify_database(db.engine)
            assert verdict.ok, verdict.breaks
