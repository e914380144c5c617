"""A plan's history: one row at creation and one per transition, never changed afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from workflow_app.engine import GuardFailed
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

Users = dict[str, Any]

CURRENT = 3  # the version of workflows/action_plan.yaml that new plans start under


def stored_history(plan_id: int) -> list[tuple[Any, ...]]:
    """The history rows as committed, read in a session of their own."""
    with Session(db.engine) as session:
        rows = session.scalars(
            select(CaseTransition)
            .where(CaseTransition.chain_id == plan_id)
            .order_by(CaseTransition.id)
        )
        return [
            (
                h.id,
                h.workflow_version,
                h.from_state,
                h.to_state,
                h.trigger,
                h.actor_id,
                h.acting_for_id,
                h.role,
                h.comment,
                h.created_at,
            )
            for h in rows
        ]


def stored_plan(plan_id: int) -> tuple[str, int, datetime]:
    with Session(db.engine) as session:
        plan = session.get(ActionPlan, plan_id)
        assert plan is not None
        return plan.state, plan.version, plan.state_entered_at


def test_creating_a_plan_writes_the_first_row(users: Users) -> None:
    started = datetime.now(UTC)
    with unit_of_work():
        plan = ops.create_plan(
            users["drafter"],
            factories.regions()["6301"],
            title="Rencana Aksi",
            period_start=2025,
            period_end=2029,
        )
    [row] = stored_history(plan.id)
    _, version, from_state, to_state, trigger, actor, acting_for, role, comment, at = row
    assert (version, from_state, to_state, trigger) == (CURRENT, None, "draft", "create")
    assert (actor, acting_for, role, comment) == (
        users["drafter"].id,
        None,
        "district_drafter",
        None,
    )
    assert started - timedelta(seconds=1) <= at <= datetime.now(UTC)
    assert at.tzinfo is not None


# Who does what, along the longest path the workflow allows: (who, trigger, comment, from, to).
JOURNEY = [
    ("drafter", "submit", None, "draft", "district_review"),
    ("reviewer", "return", "  Lengkapi baseline  ", "district_review", "returned"),
    ("drafter", "submit", "", "returned", "district_review"),
    ("reviewer", "forward", "Sudah lengkap", "district_review", "provincial_sync"),
    ("provincial", "return", "Target 2027 terlalu rendah", "provincial_sync", "returned"),
    ("drafter", "submit", "   ", "returned", "district_review"),
    ("reviewer", "forward", None, "district_review", "provincial_sync"),
    ("provincial", "approve", None, "provincial_sync", "approved"),
    ("provincial", "start_monitoring", None, "approved", "monitored"),
    ("provincial_head", "close", "Tuntas", "monitored", "closed"),
]
ROLE_OF = {
    "drafter": "district_drafter",
    "reviewer": "district_reviewer",
    "provincial": "provincial_reviewer",
    "provincial_head": "provincial_head",
}


def test_every_transition_appends_one_row(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")
    [created] = stored_history(plan.id)
    version = stored_plan(plan.id)[1]
    for who, trigger, comment, from_state, to_state in JOURNEY:
        before = datetime.now(UTC)
        with unit_of_work():
            record = ops.transition(
                users[who], plan, trigger, comment=comment, expected_version=plan.version
            )
        state, new_version, entered = stored_plan(plan.id)
        assert (state, new_version) == (to_state, version + 1)
        version = new_version
        *_, last = stored_history(plan.id)
        assert last[0] == record.id
        assert last[1:9] == (
            CURRENT,
            from_state,
            to_state,
            trigger,
            users[who].id,
            None,
            ROLE_OF[who],
            (comment or "").strip() or None,
        )
        assert before - timedelta(seconds=1) <= last[9] <= datetime.now(UTC)
        assert abs(entered - last[9]) < timedelta(seconds=1)

    rows = stored_history(plan.id)
    assert rows[0] == created
    assert len(rows) == 1 + len(JOURNEY)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert [r[9] for r in rows] == sorted(r[9] for r in rows)
    # The plan's own view of its history is the same, in the same order.
    db.session.expire_all()
    assert [h.trigger for h in db.session.get(ActionPlan, plan.id).history] == [
        "create",
        *(step[1] for step in JOURNEY),
    ]


def test_withdrawing_is_recorded_with_the_heads_role(users: Users) -> None:
    plan = factories.plan_in_state(users, "returned")
    with unit_of_work():
        ops.transition(users["head"], plan, "withdraw", comment="Diganti rencana baru")
    last = stored_history(plan.id)[-1]
    assert last[2:9] == (
        "returned",
        "withdrawn",
        "withdraw",
        users["head"].id,
        None,
        "district_head",
        "Diganti rencana baru",
    )


def test_a_refused_transition_writes_no_row(users: Users) -> None:
    plan = factories.plan_in_state(users, "draft")
    with unit_of_work():
        ops.delete_activity(
            users["drafter"], plan, plan.activities[0].id, expected_version=plan.version
        )
    before = stored_history(plan.id)
    with pytest.raises(GuardFailed), unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    assert stored_history(plan.id) == before


def _first_row(plan_id: int) -> CaseTransition:
    return db.session.scalars(
        select(CaseTransition).where(CaseTransition.chain_id == plan_id).order_by(CaseTransition.id)
    ).first()


@pytest.mark.parametrize(
    "change",
    [
        lambda row: setattr(row, "comment", "ditulis ulang"),
        lambda row: setattr(row, "to_state", "approved"),
        lambda row: setattr(row, "actor_id", None),
    ],
    ids=["comment", "to_state", "actor"],
)
def test_history_rows_cannot_be_updated(users: Users, change: Any) -> None:
    plan = factories.plan_in_state(users, "returned")
    before = stored_history(plan.id)
    with pytest.raises(PermissionError, match="append-only"), unit_of_work():
        change(_first_row(plan.id))
    assert stored_history(plan.id) == before


def test_history_rows_cannot_be_deleted(users: Users) -> None:
    plan = factories.plan_in_state(users, "returned")
    before = stored_history(plan.id)
    for row_id in (before[0][0], before[-1][0]):
        with pytest.raises(PermissionError, match="append-only"), unit_of_work():
            db.session.delete(db.session.get(CaseTransition, row_id))
    assert stored_history(plan.id) == before


def test_history_rows_cannot_be_changed_by_a_later_flush(users: Users) -> None:
    """A change smuggled in beside a legitimate transition sinks the whole transaction."""
    plan = factories.plan_in_state(users, "district_review")
    before_history = stored_history(plan.id)
    before_plan = stored_plan(plan.id)
    with pytest.raises(PermissionError), unit_of_work():
        _first_row(plan.id).comment = "ditulis ulang"
        ops.transition(users["reviewer"], plan, "forward")
    assert stored_history(plan.id) == before_history
    assert stored_plan(plan.id) == before_plan
