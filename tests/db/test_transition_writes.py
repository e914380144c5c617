"""What a transition writes when its writes share statements (issue 17): the read before the
change, and on PostgreSQL the history row, the steps' writes and the change's events in one
statement (CTEs). The
rows must be those written one by one: the steps of the state left cancelled, the new state's
pending (the cancelling UPDATE must not see them), one event per change with its webhook
deliveries, the emails of the holders read before the change."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.db.test_transition_statements import fire_counted
from workflow_app.changes.models import ChangeEvent
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.webhooks.models import Webhook, WebhookDelivery

Users = dict[str, Any]


def test_the_steps_and_the_event_of_each_transition(app_ctx: Flask, users: Users) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.add(
        Webhook(
            url="https://example.org/hook",
            secret="s",
            event_types=",case.transitioned,",
            active=True,
        )
    )
    db.session.commit()
    ids = {who: users[who].id for who in ("drafter", "reviewer", "provincial")}
    for who, trigger in (("drafter", "submit"), ("reviewer", "forward")):
        statements = fire_counted(app_ctx, ids[who], plan_id, trigger)
        events = [s for s in statements if "INSERT INTO change_event" in s]
        assert len(events) == 1
        if db.engine.dialect.name == "postgresql":
            # One statement: the history row, the steps' writes and the event.
            assert "INSERT INTO plan_transition" in events[0]
            assert "UPDATE scheduled_step" in events[0]
            assert "INSERT INTO scheduled_step" in events[0]
    steps = db.session.execute(
        select(ScheduledStep.state, ScheduledStep.status).where(ScheduledStep.subject_id == plan_id)
    ).all()
    states = {(state, status) for state, status in steps}
    # The steps of district review were cancelled by the forward, provincial sync's are
    # pending: the UPDATE in the same statement did not see them.
    assert ("district_review", "cancelled") in states
    assert ("district_review", "pending") not in states
    assert ("provincial_sync", "pending") in states
    assert ("provincial_sync", "cancelled") not in states
    kinds = db.session.scalars(
        select(ChangeEvent.type).where(ChangeEvent.subject_id == plan_id).order_by(ChangeEvent.id)
    ).all()
    assert kinds[-2:] == ["case.transitioned", "case.transitioned"]
    delivered = db.session.scalars(
        select(WebhookDelivery.event_id).join(
            ChangeEvent, ChangeEvent.id == WebhookDelivery.event_id
        )
    ).all()
    assert len(delivered) == 2
    # The provincial reviewers are told of the forward, read before the change.
    told = db.session.scalars(
        select(Notification.recipient_id).where(
            Notification.subject_id == plan_id, Notification.event.like("%forward")
        )
    ).all()
    assert ids["provincial"] in told and ids["reviewer"] not in told


def test_one_read_before_the_change(app_ctx: Flask, users: Users) -> None:
    plan_id = factories.complete_plan(users["drafter"]).id
    db.session.commit()
    drafter, reviewer = users["drafter"].id, users["reviewer"].id
    fire_counted(app_ctx, drafter, plan_id, "submit")
    statements = fire_counted(app_ctx, reviewer, plan_id, "forward")
    reads = [s for s in statements if "calendar_override" in s]
    assert len(reads) == 1
    assert "plan_transition" in reads[0] and "role_assignment" in reads[0]
