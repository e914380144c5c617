"""What a plan's events tell whom: the owners of the new state must act, the roles a
transition names in `inform` need to know; escalation steps notify the roles they name."""

from __future__ import annotations

from typing import Any

from ..accounts.models import User
from ..deadlines.models import ScheduledStep
from ..engine import TransitionDef
from ..engine.definition import DeadlineStep
from ..notifications.outbox import add_notifications
from ..notifications.recipients import holders_of
from ..workflows import definition_of
from .access import scope_of
from .models import ActionPlan, PlanTransition


def plan_facts(plan: ActionPlan) -> dict[str, Any]:
    """The facts every plan email needs, frozen at the moment of the event."""
    return {
        "plan_id": plan.id,
        "plan_title": plan.title,
        "period": plan.period_label,
        "region_code": plan.region.code,
        "region_name": plan.region.name,
        "workflow": plan.workflow_name,
        "workflow_version": plan.workflow_version,
        "state": plan.state,
        "due_at": plan.due_at.isoformat() if plan.due_at else None,
    }


def notify_transition(
    plan: ActionPlan, step: TransitionDef, record: PlanTransition, actor: User
) -> None:
    definition = definition_of(plan)
    state = definition.states[plan.state]
    roles = list(step.inform)
    if not state.final:
        roles.insert(0, state.owner)
    recipients = [u for u in holders_of(roles, scope_of(plan)) if u.id != actor.id]
    payload = plan_facts(plan) | {
        "trigger": record.trigger,
        "from_state": record.from_state,
        "to_state": record.to_state,
        "actor_name": str(actor),
        "comment": record.comment,
        "at": record.created_at.isoformat(),
    }
    add_notifications(record.trigger, recipients, payload, plan_id=plan.id)


def _step_spec(plan: ActionPlan, scheduled: ScheduledStep) -> DeadlineStep:
    deadline = definition_of(plan).deadlines[scheduled.state]
    return next(s for s in deadline.steps if s.name == scheduled.step)


def step_recipients(plan: ActionPlan, scheduled: ScheduledStep) -> list[User]:
    """Who an escalation step tells: the holders of the roles it names, in the plan's scope."""
    return holders_of(_step_spec(plan, scheduled).notify, scope_of(plan))


def notify_step(plan: ActionPlan, scheduled: ScheduledStep, recipients: list[User]) -> int:
    """Write the emails of one escalation step to `recipients`; the number written."""
    spec = _step_spec(plan, scheduled)
    payload = plan_facts(plan) | {
        "step": spec.name,
        "at_working_days": spec.at,
        "fire_at": scheduled.fire_at.isoformat(),
    }
    kind = "reminder" if spec.at < 0 else ("due" if spec.at == 0 else "escalation")
    rows = add_notifications(kind, recipients, payload, plan_id=plan.id, step_id=scheduled.id)
    return len(rows)
