"""What a report's events tell whom: as for plans, the owners of the new state must act and
the roles a transition names in `inform` need to know; escalation steps notify the roles they
name. The emails are the plan emails' templates, told they concern a report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..accounts.models import User
from ..deadlines.models import ScheduledStep
from ..engine import TransitionDef
from ..engine.definition import DeadlineStep
from ..notifications.outbox import add_notifications
from ..notifications.recipients import holders_of
from ..plans.access import scope_of
from ..plans.models import PlanTransition
from ..plans.notifications import plan_facts
from ..workflows import definition_of

if TYPE_CHECKING:
    from .models import ProgressReport


def report_facts(report: ProgressReport) -> dict[str, Any]:
    """The plan's facts with the report's own workflow, state and deadline in their place."""
    return plan_facts(report.plan) | {
        "report_id": report.id,
        "quarter": report.period_label,
        "workflow": report.workflow_name,
        "workflow_version": report.workflow_version,
        "state": report.state,
        "due_at": report.due_at.isoformat() if report.due_at else None,
    }


def notify_report_opened(report: ProgressReport) -> None:
    """The quarter ended: the drafters learn the report is due, and by when."""
    owner = definition_of(report).states[report.state].owner
    recipients = holders_of([owner], scope_of(report.plan))
    payload = report_facts(report) | {"trigger": "open", "to_state": report.state}
    add_notifications("report_open", recipients, payload, plan_id=report.plan_id)


def notify_report_transition(
    report: ProgressReport, step: TransitionDef, record: PlanTransition, actor: User
) -> None:
    state = definition_of(report).states[report.state]
    roles = list(step.inform)
    if not state.final:
        roles.insert(0, state.owner)
    recipients = [u for u in holders_of(roles, scope_of(report.plan)) if u.id != actor.id]
    payload = report_facts(report) | {
        "trigger": record.trigger,
        "from_state": record.from_state,
        "to_state": record.to_state,
        "actor_name": str(actor),
        "comment": record.comment,
        "at": record.created_at.isoformat(),
    }
    add_notifications(f"report_{record.trigger}", recipients, payload, plan_id=report.plan_id)


def _step_spec(report: ProgressReport, scheduled: ScheduledStep) -> DeadlineStep:
    deadline = definition_of(report).deadlines[scheduled.state]
    return next(s for s in deadline.steps if s.name == scheduled.step)


def report_step_recipients(report: ProgressReport, scheduled: ScheduledStep) -> list[User]:
    return holders_of(_step_spec(report, scheduled).notify, scope_of(report.plan))


def notify_report_step(
    report: ProgressReport, scheduled: ScheduledStep, recipients: list[User]
) -> int:
    spec = _step_spec(report, scheduled)
    payload = report_facts(report) | {
        "step": spec.name,
        "at_working_days": spec.at,
        "fire_at": scheduled.fire_at.isoformat(),
    }
    kind = "reminder" if spec.at < 0 else ("due" if spec.at == 0 else "escalation")
    rows = add_notifications(
        kind, recipients, payload, plan_id=report.plan_id, step_id=scheduled.id
    )
    return len(rows)
