"""A transition writes its case with one UPDATE of its own, not an ORM flush (issue 17: the
flush cost a transition more than the statement), its version checked as the flush's was;
anything else pending in the session still goes through a flush and is recorded as before.
Counted, never timed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests import factories
from tests.db.test_transition_statements import STEPS, fire_counted
from workflow_app.changes.models import ChangeEvent
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

Users = dict[str, Any]


@pytest.fixture
def flushes() -> Iterator[list[int]]:
    """How many ORM flushes wrote something while the test runs (a clean session's flush
    does nothing and is not counted)."""
    counted: list[int] = []

    def count(*args: object) -> None:
        counted.append(1)

    event.listen(db.session, "before_flush", count)
    yield counted
    event.remove(db.session, "before_flush", count)


def test_a_transition_writes_its_case_without_a_flush(
    app_ctx: Flask, users: Users, flushes: list[int]
) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    version = db.session.get(ActionPlan, plan_id).version
    ids = {who: users[who].id for who, _ in STEPS}
    flushes.clear()
    for who, trigger in STEPS:
        statements = fire_counted(app_ctx, ids[who], plan_id, trigger)
        updates = [s for s in statements if s.startswith("UPDATE action_plan ")]
        assert len(updates) == 1, (trigger, updates)
        assert "action_plan.version = " in updates[0]  # the optimistic lock, as the flush's
    assert flushes == [], "a transition flushed"
    plan = db.session.get(ActionPlan, plan_id)
    assert (plan.state, plan.version) == ("approved", version + len(STEPS))


def test_the_case_is_left_as_a_flush_leaves_it(app_ctx: Flask, users: Users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit", expected_version=plan.version)
        # Nothing is left to write, and the session holds what the database holds.
        assert not db.session.dirty and not db.session.new
        stored = db.session.execute(
            select(ActionPlan.version, ActionPlan.updated_at, ActionPlan.state).where(
                ActionPlan.id == plan.id
            )
        ).one()
        assert tuple(stored) == (plan.version, plan.updated_at, plan.state)


def test_other_pending_changes_are_flushed_and_recorded_as_before(
    app_ctx: Flask, users: Users, flushes: list[int]
) -> None:
    """A change of the plan's contents made in the same unit of work as its submission is
    written by a flush with the transition's UPDATE, and the feed tells both as it always did
    (the update's fields include the transition's)."""
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    last = db.session.scalar(select(ChangeEvent.id).order_by(ChangeEvent.id.desc())) or 0
    flushes.clear()
    with unit_of_work():
        plan.title = "Rencana Aksi (perbaikan)"
        ops.transition(users["drafter"], plan, "submit", expected_version=plan.version)
    assert flushes
    events = db.session.scalars(
        select(ChangeEvent).where(ChangeEvent.id > last).order_by(ChangeEvent.id)
    ).all()
    assert [(e.type, e.data.get("changed")) for e in events] == [
        ("case.updated", ["due_at", "state", "state_entered_at", "title"]),
        ("case.transitioned", None),
    ]
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).title == "Rencana Aksi (perbaikan)"
