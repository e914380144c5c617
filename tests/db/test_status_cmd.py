"""`workflow-app status`: OK (exit 0) while emails leave and deadlines fire; ATTENTION (exit 6)
naming what is stuck, in words and as JSON for a monitor."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import update

from tests import factories
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops
from workflow_app.unit_of_work import unit_of_work


def submitted_plan(users: dict) -> int:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    return plan.id


def test_all_is_well_on_a_quiet_system(app_ctx: Flask, users: dict) -> None:
    submitted_plan(users)  # an email just written, steps in the future: nothing is late
    result = app_ctx.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("status: OK")
    assert "OK         outbox: none waiting longer than 15 min" in result.output


def test_a_stuck_email_and_an_unfired_deadline_need_attention(app_ctx: Flask, users: dict) -> None:
    plan_id = submitted_plan(users)
    an_hour_ago = utcnow() - timedelta(hours=1, minutes=5)
    db.session.execute(update(Notification).values(next_attempt_at=an_hour_ago))
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.subject_is("plan", plan_id), ScheduledStep.step == "reminder")
        .values(fire_at=an_hour_ago)
    )
    db.session.commit()
    runner: FlaskCliRunner = app_ctx.test_cli_runner()

    result = runner.invoke(args=["status"])

    assert result.exit_code == 6, result.output
    assert "ATTENTION  outbox: 1 email(s) waiting longer than 15 min, the oldest 1 h 5 min" in (
        result.output
    )
    assert "ATTENTION  deadlines: 1 reminder/escalation step(s)" in result.output
    assert "is beat running" in result.output
    assert result.output.strip().endswith("status: ATTENTION (2)")

    as_json = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert as_json["ok"] is False
    assert {c["name"]: c["ok"] for c in as_json["checks"]} == {
        "broker": True,
        "outbox": False,
        "failed emails": True,
        "deadlines": False,
        "definitions": True,
    }
    # A longer tolerance: an hour late is within it.
    assert runner.invoke(args=["status", "--stale-minutes", "120"]).exit_code == 0


def test_a_failed_email_needs_attention_until_retried(app_ctx: Flask, users: dict) -> None:
    submitted_plan(users)
    db.session.execute(update(Notification).values(status="failed", last_error="550 no such user"))
    db.session.commit()
    result = app_ctx.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 6
    assert "ATTENTION  failed emails: 1 email(s) failed for good" in result.output
    assert "/admin/outbox" in result.output
