"""Two people act on the same plan at the same moment on PostgreSQL: exactly one wins.

Runs on an app of its own, on a database of its own (`wf_concurrency` on the server the suite
uses), so it neither sees nor disturbs the main suite's tables. Each thread works in its own
app context, so with its own session and connection, like two web requests.

The contenders are held just before their first UPDATE of the plan (`held_before_update`),
not at a flush: a transition writes the case with a statement of its own, no flush first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests import factories
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.engine import StaleObject
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_concurrency"
ROUNDS = 5


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from private_postgres_app(tmp_path_factory, DATABASE)


@pytest.fixture
def staff(pg_app: Flask) -> Iterator[dict[str, str]]:
    """The standard users, by key -> username; all tables emptied afterwards."""
    with pg_app.app_context():
        users = factories.standard_users()
        db.session.commit()
        names = {key: user.username for key, user in users.items()}
        db.session.remove()
    yield names
    empty_tables(pg_app)


def _plans_in_state(app: Flask, state: str, count: int) -> list[int]:
    with app.app_context():
        users = {
            key: db.session.scalars(select(User).where(User.username == name)).one()
            for key, name in _usernames().items()
        }
        ids = [factories.plan_in_state(users, state).id for _ in range(count)]
        db.session.remove()
    return ids


def _usernames() -> dict[str, str]:
    return {
        "drafter": "drafter.6301",
        "reviewer": "reviewer.6301",
        "provincial": "provincial.63",
        "provincial_head": "head.63",
    }


@dataclass
class Outcome:
    label: str
    result: str = "not run"  # "won" | "stale" | a description of anything unexpected


@contextmanager
def held_before_update(
    app: Flask, table: str, barrier: threading.Barrier
) -> Iterator[Callable[[], None]]:
    """While inside, a thread that called the yielded `arm()` waits at `barrier` just before
    its first UPDATE of `table`: each contender has read and checked all it needed, and
    holds no lock of that row yet (the UPDATE takes it). Yields `arm`."""
    armed = threading.local()
    update = f"UPDATE {table} "

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if getattr(armed, "on", False) and statement.startswith(update):
            armed.on = False
            barrier.wait()

    def arm() -> None:
        armed.on = True

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", hold)
        try:
            yield arm
        finally:
            event.remove(db.engine, "before_cursor_execute", hold)


def _race(
    app: Flask, plan_id: int, contenders: list[tuple[str, str, Callable[..., Any]]]
) -> list[Outcome]:
    """Each contender loads the plan in its own session, passes every check, then all of
    them write at the same instant: a barrier holds each one just before its UPDATE of the
    plan."""
    barrier = threading.Barrier(len(contenders), timeout=20)
    outcomes = [Outcome(label) for label, _, _ in contenders]
    with held_before_update(app, "action_plan", barrier) as arm:
        _run_all(app, plan_id, contenders, outcomes, barrier, arm)
    return outcomes


def _run_all(
    app: Flask,
    plan_id: int,
    contenders: list[tuple[str, str, Callable[..., Any]]],
    outcomes: list[Outcome],
    barrier: threading.Barrier,
    arm: Callable[[], None],
) -> None:

    def run(outcome: Outcome, username: str, act: Callable[..., Any]) -> None:
        with app.app_context():
            try:
                actor = db.session.scalars(select(User).where(User.username == username)).one()
                plan = ops.load_visible_plan(actor, plan_id)
                seen = plan.version
                # All checks (scope, role, state, guard, expected version) pass before the
                # barrier; only the database's version check is left to decide the race.
                arm()
                with unit_of_work():
                    act(actor, plan, seen)
                outcome.result = "won"
            except StaleObject:
                outcome.result = "stale"
            except BaseException as exc:  # reported by the assertions below
                outcome.result = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(outcome, username, act))
        for outcome, (_, username, act) in zip(outcomes, contenders, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a contender hung"


def _stored(app: Flask, plan_id: int) -> tuple[str, int, list[str], list[str]]:
    with app.app_context(), Session(db.engine) as session:
        plan = session.get(ActionPlan, plan_id)
        assert plan is not None
        history = session.scalars(
            select(CaseTransition.trigger)
            .where(CaseTransition.chain_id == plan_id)
            .order_by(CaseTransition.id)
        ).all()
        return plan.state, plan.version, list(history), [a.title for a in plan.activities]


def _fire(trigger: str, comment: str | None = None) -> Callable[[User, ActionPlan, int], Any]:
    return lambda actor, plan, seen: ops.transition(
        actor, plan, trigger, comment=comment, expected_version=seen
    )


def test_two_reviewers_acting_at_once_only_one_wins(pg_app: Flask, staff: dict[str, str]) -> None:
    reviewer = staff["reviewer"]
    for plan_id in _plans_in_state(pg_app, "district_review", ROUNDS):
        _, version, history, _ = _stored(pg_app, plan_id)
        outcomes = _race(
            pg_app,
            plan_id,
            [
                ("forward", reviewer, _fire("forward")),
                ("return", reviewer, _fire("return", "Lengkapi target 2027")),
            ],
        )
        results = {o.label: o.result for o in outcomes}
        assert sorted(results.values()) == ["stale", "won"], results
        [winner] = [label for label, result in results.items() if result == "won"]
        state, new_version, new_history, _ = _stored(pg_app, plan_id)
        assert state == {"forward": "provincial_sync", "return": "returned"}[winner]
        assert new_version == version + 1
        assert new_history == [*history, winner]


def test_two_levels_acting_at_once_only_one_wins(pg_app: Flask, staff: dict[str, str]) -> None:
    """The provincial reviewer approves while another session returns the same plan."""
    for plan_id in _plans_in_state(pg_app, "provincial_sync", ROUNDS):
        _, version, history, _ = _stored(pg_app, plan_id)
        outcomes = _race(
            pg_app,
            plan_id,
            [
                ("approve", staff["provincial"], _fire("approve")),
                ("return", staff["provincial"], _fire("return", "Belum sinkron")),
            ],
        )
        results = {o.label: o.result for o in outcomes}
        assert sorted(results.values()) == ["stale", "won"], results
        [winner] = [label for label, result in results.items() if result == "won"]
        state, new_version, new_history, _ = _stored(pg_app, plan_id)
        assert (state, new_version) == (
            {"approve": "approved", "return": "returned"}[winner],
            version + 1,
        )
        assert new_history == [*history, winner]


def _add(title: str) -> Callable[[User, ActionPlan, int], Any]:
    def act(actor: User, plan: ActionPlan, seen: int) -> None:
        ops.add_activity(
            actor,
            plan,
            expected_version=seen,
            data=ops.ActivityData(
                sub_sector="wastewater",
                activity_type="lltt",
                title=title,
                location="Pelaihari",
                volume=Decimal(10),
                unit="unit",
                agency_id=None,
                start_year=2026,
                end_year=2027,
                funding=[ops.FundingData(year=2026, source="dak", amount=1_000_000)],
            ),
        )

    return act


def test_two_edits_at_once_only_one_wins(pg_app: Flask, staff: dict[str, str]) -> None:
    drafter = staff["drafter"]
    for plan_id in _plans_in_state(pg_app, "draft", ROUNDS):
        _, version, history, activities = _stored(pg_app, plan_id)
        outcomes = _race(
            pg_app,
            plan_id,
            [("first", drafter, _add("Kegiatan A")), ("second", drafter, _add("Kegiatan B"))],
        )
        results = {o.label: o.result for o in outcomes}
        assert sorted(results.values()) == ["stale", "won"], results
        winner = "Kegiatan A" if results["first"] == "won" else "Kegiatan B"
        _, new_version, new_history, new_activities = _stored(pg_app, plan_id)
        assert new_version == version + 1
        assert new_activities == [*activities, winner]
        assert new_history == history


def test_an_edit_racing_a_submission_only_one_wins(pg_app: Flask, staff: dict[str, str]) -> None:
    """Whatever the drafter adds, it cannot slip in beside the submission it raced."""
    for plan_id in _plans_in_state(pg_app, "draft", ROUNDS):
        _, version, history, activities = _stored(pg_app, plan_id)
        outcomes = _race(
            pg_app,
            plan_id,
            [
                ("submit", staff["drafter"], _fire("submit")),
                ("edit", staff["drafter"], _add("Kegiatan susulan")),
            ],
        )
        results = {o.label: o.result for o in outcomes}
        assert sorted(results.values()) == ["stale", "won"], results
        state, new_version, new_history, new_activities = _stored(pg_app, plan_id)
        assert new_version == version + 1
        if results["submit"] == "won":
            assert (state, new_history, new_activities) == (
                "district_review",
                [*history, "submit"],
                activities,
            )
        else:
            assert (state, new_history) == ("draft", history)
            assert new_activities == [*activities, "Kegiatan susulan"]
