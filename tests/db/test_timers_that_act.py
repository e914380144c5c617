"""Timers that act: a deadline step may fire a transition (`fire: <trigger>`) instead of only
emailing. When it comes due, the system fires it through the one door: the history row names
the system and the step, the transition's own emails go out, the state's other steps are
cancelled, and it happens once however often the sweep runs. A refusal changes nothing.

The definition here is the shipped one with one step added: a plan nobody reviewed within
3 working days past the deadline goes back to the district by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import app_of_its_own, emptied_afterwards, shipped_workflows_edited
from tests.db.test_delivery import RecordingCelery
from workflow_app.accounts.system import system_user
from workflow_app.deadlines import sweep
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.engine import GuardFailed
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

SUMMARY = "tidak ditanggapi 3 hari kerja setelah tenggat"


@pytest.fixture(scope="module")
def timed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("timers")

    def add_timer(definition: dict) -> None:
        for transition in definition["transitions"]:
            if transition["trigger"] == "return" and "district_review" in transition["source"]:
                transition["roles"].append("system")
        definition["deadlines"]["district_review"]["steps"].append(
            {
                "name": "no_answer",
                "at": 3,
                "notify": ["district_head"],
                "fire": "return",
                "summary": {"id": SUMMARY, "en": "no answer 3 working days after the deadline"},
            }
        )

    workflows = shipped_workflows_edited(tmp, add_timer)
    with app_of_its_own(tmp, WORKFLOWS_DIR=str(workflows)) as application:
        yield application


@pytest.fixture
def ctx(timed_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setitem(timed_app.extensions, "celery", RecordingCelery())
    with emptied_afterwards(timed_app):
        yield timed_app


@pytest.fixture
def plan(ctx: Flask) -> ActionPlan:
    users = factories.standard_users()
    db.session.commit()
    plan = factories.complete_plan(users["drafter"], "6301")
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    return plan


def steps(plan: ActionPlan, state: str = "district_review") -> dict[str, ScheduledStep]:
    """The plan's steps of its stay in `state`, by name."""
    query = select(ScheduledStep).where(
        ScheduledStep.subject_of(plan), ScheduledStep.state == state
    )
    return {row.step: row for row in db.session.scalars(query)}


def test_a_plan_nobody_reviewed_goes_back_by_itself_once(ctx: Flask, plan: ActionPlan) -> None:
    due = steps(plan)["no_answer"].fire_at

    fired = run_sweep(due)
    db.session.expire_all()

    assert plan.state == "returned"
    last = plan.history[-1]
    assert (last.trigger, last.role, last.actor_id) == ("return", "system", system_user().id)
    assert last.comment == f"{SUMMARY} (no_answer)"
    assert [(f.step, f.fires) for f in fired if f.fires] == [("no_answer", "return")]
    # The transition's own emails: the drafter must act, with the reason as the comment.
    returned = db.session.scalars(
        select(Notification).where(Notification.subject_of(plan), Notification.event == "return")
    ).all()
    assert [row.to_address for row in returned] == ["drafter.6301@example.test"]
    assert returned[0].payload["comment"] == f"{SUMMARY} (no_answer)"
    by_name = steps(plan)
    # The step's own email tells the head of the plan as it stood when the step came due.
    [told] = db.session.scalars(
        select(Notification).where(Notification.step_id == by_name["no_answer"].id)
    ).all()
    assert (told.to_address, told.event) == ("head.6301@example.test", "escalation")
    assert told.payload["state"] == "district_review"
    assert by_name["no_answer"].status == "done"
    assert by_name["escalation_province"].status == "cancelled"  # at +5: the state was left

    assert run_sweep(due) == []  # a second beat: nothing more
    assert len(plan.history) == 3


def test_the_command_line_names_what_a_step_fires(ctx: Flask, plan: ActionPlan) -> None:
    due = steps(plan)["no_answer"].fire_at
    result = ctx.test_cli_runner().invoke(args=["escalate", "--dry-run", "--at", due.isoformat()])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "no_answer" in line]
    assert line.endswith("-> head.6301  fires return")
    db.session.expire_all()
    assert plan.state == "district_review"


def test_a_refused_timer_changes_nothing_and_ends_its_step(
    ctx: Flask, plan: ActionPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise GuardFailed("the plan is not complete", [])

    monkeypatch.setattr(sweep, "fire", refuse)
    due = steps(plan)["no_answer"].fire_at
    before = len(plan.history)

    fired = run_sweep(due)
    db.session.expire_all()

    assert "no_answer" not in [f.step for f in fired]
    assert (plan.state, len(plan.history)) == ("district_review", before)
    cancelled = steps(plan)["no_answer"]
    assert cancelled.status == "cancelled"
    sent = select(Notification).where(Notification.step_id == cancelled.id)
    assert db.session.scalars(sent).all() == []  # refused: its email is not sent either
    assert run_sweep(due) == []
