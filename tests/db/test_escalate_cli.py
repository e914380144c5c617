"""`workflow-app escalate`: one sweep now or at a given time, its listing, --dry-run, exit codes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.factories import plan_in_state
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.engine.calendar import WITA
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.plans.models import ActionPlan


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


def escalate(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=["escalate", *args])
    db.session.expire_all()  # the command committed in its own context: read afresh
    return result


def steps_of(plan: ActionPlan) -> dict[str, ScheduledStep]:
    rows = db.session.scalars(
        select(ScheduledStep).where(ScheduledStep.subject_is("plan", plan.id))
    )
    return {row.step: row for row in rows}


def wita(moment: datetime) -> str:
    return moment.astimezone(WITA).strftime("%Y-%m-%d %H:%M WITA")


def emails_of_step(step: ScheduledStep) -> list[str]:
    query = select(Notification.to_address).where(Notification.step_id == step.id)
    return sorted(db.session.scalars(query))


def notification_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_dry_run_lists_each_due_step_and_changes_nothing(
    runner: FlaskCliRunner, users: dict
) -> None:
    plan = plan_in_state(users, "district_review")
    steps = steps_of(plan)
    region = f"{plan.region.code} {plan.region.name}"
    before = notification_count()

    result = escalate(runner, "--dry-run", "--at", steps["due"].fire_at.isoformat())

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Sweep at {wita(steps['due'].fire_at)} (dry run: nothing changed)",
        f"plan {plan.id}  {region}  district_review  reminder  "
        f"{wita(steps['reminder'].fire_at)}  -> reviewer.6301",
        f"plan {plan.id}  {region}  district_review  due  "
        f"{wita(steps['due'].fire_at)}  -> reviewer.6301",
        "2 steps would fire.",
    ]
    assert {name: step.status for name, step in steps_of(plan).items()} == dict.fromkeys(
        steps, "pending"
    )
    assert notification_count() == before


def test_a_sweep_fires_the_due_steps_once_and_writes_their_emails(
    runner: FlaskCliRunner, users: dict
) -> None:
    plan = plan_in_state(users, "district_review")
    steps = steps_of(plan)
    at = steps["escalation"].fire_at

    result = escalate(runner, "--at", at.isoformat())

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Sweep at {wita(at)}"
    assert [line.split("  ")[3] for line in lines[1:-1]] == ["reminder", "due", "escalation"]
    assert lines[-2].endswith(f"{wita(at)}  -> head.6301")
    assert lines[-1] == "3 steps fired."
    after = steps_of(plan)
    assert {name: step.status for name, step in after.items()} == {
        "reminder": "done",
        "due": "done",
        "escalation": "done",
        "escalation_province": "pending",
    }
    assert emails_of_step(after["reminder"]) == ["reviewer.6301@example.test"]
    assert emails_of_step(after["escalation"]) == ["head.6301@example.test"]

    again = escalate(runner, "--at", at.isoformat())
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[1:] == ["0 steps fired."]
    assert emails_of_step(steps_of(plan)["reminder"]) == ["reviewer.6301@example.test"]


def test_a_time_without_offset_is_wita(runner: FlaskCliRunner, users: dict) -> None:
    plan = plan_in_state(users, "district_review")
    reminder = steps_of(plan)["reminder"].fire_at.astimezone(WITA).replace(tzinfo=None)

    # Read as UTC, a minute before the reminder would be hours after it.
    early = escalate(runner, "--dry-run", "--at", (reminder - timedelta(minutes=1)).isoformat())
    on_time = escalate(runner, "--dry-run", "--at", reminder.isoformat(timespec="minutes"))

    assert early.exit_code == on_time.exit_code == 0
    assert early.output.splitlines()[0].startswith(
        f"Sweep at {(reminder - timedelta(minutes=1)):%Y-%m-%d %H:%M} WITA"
    )
    assert early.output.splitlines()[-1] == "0 steps would fire."
    assert on_time.output.splitlines()[-1] == "1 step would fire."


def test_without_at_nothing_scheduled_later_fires(runner: FlaskCliRunner, users: dict) -> None:
    plan = plan_in_state(users, "district_review")

    result = escalate(runner)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 steps fired."
    assert {step.status for step in steps_of(plan).values()} == {"pending"}


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T08:00", "30/03/2026"])
def test_a_time_that_is_not_iso_is_a_usage_error(runner: FlaskCliRunner, bad: str) -> None:
    result = escalate(runner, "--at", bad)

    assert result.exit_code == 2
    assert f"{bad!r} is not an ISO time" in result.output
