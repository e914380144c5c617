"""What the service tests do to the system: act on plans through the web, send the sweep to
the worker, read the outbox and the scheduled steps back from the shared database."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import and_, or_, select
from werkzeug.test import TestResponse

from tests.conftest import csrf_token
from workflow_app.accounts.models import User
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.extensions import db
from workflow_app.monitoring.models import ProgressReport
from workflow_app.notifications.models import Notification
from workflow_app.plans.models import ActionPlan

SWEEP_TASK = "workflow_app.deadlines.sweep"


def client_as(app: Flask, username: str) -> FlaskClient:
    """A browser logged in as `username` (the login form has its own tests)."""
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def act(client: FlaskClient, plan_id: int, trigger: str, comment: str = "") -> TestResponse:
    """Post an action as the plan page's form does."""
    db.session.rollback()
    version = db.session.scalar(select(ActionPlan.version).where(ActionPlan.id == plan_id))
    data = {
        "trigger": trigger,
        "comment": comment,
        "version": str(version),
        "csrf_token": csrf_token(client, "/tasks"),
    }
    return client.post(f"/plans/{plan_id}/transition", data=data)


def send_sweep(app: Flask, at: datetime) -> str:
    """Ask the worker for one sweep evaluated at `at` (as beat runs it, but with a time);
    the task id."""
    return app.extensions["celery"].send_task(SWEEP_TASK, kwargs={"at": at.isoformat()}).id


def steps_of(plan_id: int) -> dict[str, ScheduledStep]:
    db.session.rollback()
    rows = db.session.scalars(
        select(ScheduledStep).where(ScheduledStep.subject_is("plan", plan_id))
    )
    return {row.step: row for row in rows}


def outbox(plan_id: int | None = None) -> list[Notification]:
    """The outbox rows (of one plan and its reports), oldest first, read afresh."""
    db.session.rollback()
    query = select(Notification).order_by(Notification.id)
    if plan_id is not None:
        of_reports = select(ProgressReport.id).where(ProgressReport.plan_id == plan_id)
        query = query.where(
            or_(
                Notification.subject_is("plan", plan_id),
                and_(
                    Notification.subject_kind == "report",
                    Notification.subject_id.in_(of_reports),
                ),
            )
        )
    return list(db.session.scalars(query))
