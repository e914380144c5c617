"""Statements per transition, as a request fires one: a guard against round trips creeping
back (issue 17). Counted, never timed. Before the change one read answers who did the earlier
triggers, the calendar and who is told; the history link is the root's lock and one read (the
next id and the chain's tail); on PostgreSQL one statement writes the history row, cancels
and schedules the steps and inserts the change's events; the webhook deliveries' INSERT runs
only when a webhook is active (the change event's INSERT says so)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from tests import factories
from workflow_app.accounts.login import load_user
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.unit_of_work import unit_of_work
from workflow_app.webhooks.models import Webhook, WebhookDelivery

Users = dict[str, Any]

# The most each trigger may run, from loading the actor to the commit, on the standard data.
# Submit's guard reads the plan's contents (activities with funding, indicators with
# targets, the challenges its snapshot reads) in one statement; on PostgreSQL the snapshot's
# INSERT is part of the statement writing the history row (firing's `writing` hooks), on
# SQLite one more. The outbox rows are one INSERT whatever their number
# (notifications.outbox). SQLite has no INSERT in a WITH: the history row, the steps (one
# INSERT) and the change's event are statements of their own there.
MOST = {
    "postgresql": {"submit": 8, "forward": 7, "approve": 7},
    "sqlite": {"submit": 12, "forward": 10, "approve": 9},
}
STEPS = (("drafter", "submit"), ("reviewer", "forward"), ("provincial", "approve"))


def fire_counted(app: Flask, actor_id: int, plan_id: int, trigger: str) -> list[str]:
    """The statements (whitespace folded) of firing `trigger` on the plan as a request does,
    from loading the actor to the commit. Shared with the other transition tests."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()))

    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        # What a request does: the login manager loads the actor, the view the plan.
        with app.test_request_context(), unit_of_work():
            actor = load_user(str(actor_id))
            assert actor is not None
            plan = ops.load_visible_plan(actor, plan_id)
            ops.transition(actor, plan, trigger, expected_version=plan.version)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
    return statements


def test_statements_per_transition(app_ctx: Flask, users: Users) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    ids = {who: users[who].id for who, _ in STEPS}
    most = MOST[db.engine.dialect.name]
    counted = {
        trigger: len(fire_counted(app_ctx, ids[who], plan_id, trigger)) for who, trigger in STEPS
    }
    assert all(counted[trigger] <= most[trigger] for trigger in most), counted


@pytest.mark.parametrize("active", [True, False])
def test_deliveries_are_written_only_for_an_active_webhook(
    app_ctx: Flask, users: Users, active: bool
) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.add(
        Webhook(
            url="https://example.org/hook",
            secret="s",
            event_types=",case.transitioned,",
            active=active,
        )
    )
    db.session.commit()
    statements = fire_counted(app_ctx, users["drafter"].id, plan_id, "submit")
    writes = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO WEBHOOK")]
    assert len(writes) == (1 if active else 0)
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == (
        1 if active else 0
    )
