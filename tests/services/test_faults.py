"""Faults, each ending with every expected email delivered and none lost: the SMTP server down
for a while, Redis down while plans move, the worker killed mid-delivery, two sweeps at once.
A duplicate is allowed where the design allows it, and must carry the same outbox id."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask import Flask

from tests import factories
from workflow_app.deadlines.sweep import FiredStep, run_sweep
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.plans.models import ActionPlan

from .flows import act, client_as, outbox, send_sweep, steps_of
from .support import CeleryProcess, RedisServer, SmtpSink, wait_until


def submitted_plans(app: Flask, users: dict, count: int) -> list[int]:
    """`count` complete plans of district 6301, submitted through the web."""
    plans = [factories.complete_plan(users["drafter"], title=f"Rencana {n}") for n in range(count)]
    db.session.commit()
    drafter = client_as(app, "drafter.6301")
    for plan in plans:
        assert act(drafter, plan.id, "submit").status_code == 303
    return [plan.id for plan in plans]


def all_sent(ids: list[int]) -> bool:
    db.session.rollback()
    rows = db.session.scalars(db.select(Notification).where(Notification.id.in_(ids)))
    return {row.status for row in rows} == {"sent"}


def assert_each_delivered(smtp: SmtpSink, rows: list[Notification]) -> None:
    """Every row arrived at its address; any copy of it carries its outbox id and Message-ID."""
    by_id = smtp.by_outbox_id()
    assert set(by_id) == {row.id for row in rows}
    for row in rows:
        copies = by_id[row.id]
        assert {mail.to for mail in copies} == {(row.to_address,)}
        assert len({str(mail.message["Message-ID"]) for mail in copies}) == 1


def test_smtp_down_then_back_every_email_is_retried_and_delivered(
    app_ctx: Flask, services: dict, users: dict
) -> None:
    smtp: SmtpSink = services["smtp"]
    smtp.stop()

    plan_ids = submitted_plans(app_ctx, users, 2)
    rows = [row for plan_id in plan_ids for row in outbox(plan_id)]
    assert len(rows) == 2

    # The worker keeps trying with backoff: each row has failed at least twice meanwhile.
    def retried() -> bool:
        current = outbox()
        return all(r.status == "pending" and r.attempts >= 2 for r in current)

    wait_until(retried, what="two failed attempts per row")
    assert all("Connection refused" in (row.last_error or "") for row in outbox())

    smtp.start()
    wait_until(lambda: all_sent([row.id for row in rows]), what="both rows sent")
    assert_each_delivered(smtp, rows)
    assert len(smtp.received) == 2


def test_redis_down_while_plans_move_then_the_relay_delivers(
    app_ctx: Flask, services: dict, users: dict, request: pytest.FixtureRequest
) -> None:
    redis_server: RedisServer = services["redis"]
    smtp: SmtpSink = services["smtp"]
    plans = [factories.complete_plan(users["drafter"], title=f"Rencana {n}") for n in range(2)]
    db.session.commit()
    plan_ids = [plan.id for plan in plans]
    drafter = client_as(app_ctx, "drafter.6301")

    redis_server.stop()
    for plan_id in plan_ids:
        started = time.monotonic()
        response = act(drafter, plan_id, "submit")
        # The change is stored and the user carries on; only the queuing waited, briefly.
        assert response.status_code == 303
        assert time.monotonic() - started < 5
    db.session.rollback()
    assert [db.session.get(ActionPlan, plan_id).state for plan_id in plan_ids] == [
        "district_review",
        "district_review",
    ]
    rows = outbox()
    assert [row.status for row in rows] == ["pending", "pending"]

    # Redis comes back empty (nothing was queued). Beat's relay finds the pending rows.
    redis_server.start()
    request.getfixturevalue("beat")
    wait_until(lambda: all_sent([row.id for row in rows]), timeout=30, what="both rows sent")
    assert_each_delivered(smtp, rows)


def test_worker_killed_mid_delivery_then_restarted_every_email_arrives(
    app_ctx: Flask, services: dict, users: dict, request: pytest.FixtureRequest
) -> None:
    smtp: SmtpSink = services["smtp"]
    worker: CeleryProcess = services["worker"]
    # The server takes the first message and keeps the worker waiting for its answer.
    smtp.hold_next()

    submitted_plans(app_ctx, users, 2)
    rows = outbox()
    assert len(rows) == 2
    assert smtp.holding.wait(20), worker.tail()

    worker.kill()  # SIGKILL in the middle of the SMTP conversation
    smtp.release.set()
    assert {row.status for row in outbox()} == {"pending"}  # nobody recorded a success

    worker.start()
    request.getfixturevalue("beat")  # the relay queues the row the dead worker had taken
    wait_until(lambda: all_sent([row.id for row in rows]), timeout=30, what="both rows sent")
    assert_each_delivered(smtp, rows)
    # The message the server had taken arrived twice: the same outbox id and Message-ID.
    assert smtp.held is not None
    assert len(smtp.by_outbox_id()[smtp.held.outbox_id]) == 2


def test_two_sweeps_at_once_send_one_email_per_step(
    app_ctx: Flask, services: dict, users: dict
) -> None:
    smtp: SmtpSink = services["smtp"]
    worker: CeleryProcess = services["worker"]
    plan_ids = submitted_plans(app_ctx, users, 4)
    smtp.wait_for(len(plan_ids))
    smtp.reset()
    # Late enough for the reminder, the due notice and the first escalation of every plan.
    at = max(steps_of(plan_id)["escalation"].fire_at for plan_id in plan_ids) + timedelta(minutes=1)

    # Three sweeps at the same moment: the worker's, and two threads of this process.
    barrier = threading.Barrier(3)
    fired: list[list[FiredStep]] = []

    def sweep_in_thread() -> None:
        with app_ctx.app_context():
            barrier.wait(10)
            fired.append(run_sweep(at))
            db.session.remove()

    threads = [threading.Thread(target=sweep_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    barrier.wait(10)
    task_id = send_sweep(app_ctx, at)
    for thread in threads:
        thread.join(30)
    fired_by_worker = int(worker.task_result(task_id))
    assert len(fired) == 2, "a sweep thread failed"

    # Each step fired once, by whichever sweep claimed it first.
    expected = 3 * len(plan_ids)  # reminder, due and escalation of each plan
    fired_here = [step.step_id for result in fired for step in result]
    assert len(fired_here) == len(set(fired_here))
    assert len(fired_here) + fired_by_worker == expected
    step_rows = [row for row in outbox() if row.step_id is not None]
    assert len(step_rows) == expected
    assert len({(row.step_id, row.recipient_id) for row in step_rows}) == expected
    for plan_id in plan_ids:
        assert {s.step: s.status for s in steps_of(plan_id).values()} == {
            "reminder": "done",
            "due": "done",
            "escalation": "done",
            "escalation_province": "pending",
        }
    wait_until(lambda: all_sent([row.id for row in step_rows]), what="step emails sent")
    assert_each_delivered(smtp, step_rows)
    assert len(smtp.received) == expected
