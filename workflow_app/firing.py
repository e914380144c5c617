"""Firing a transition on a plan or on one of its reports: the part both have in common.

`fire` checks scope, trigger, role, state, comment, version and guards (in that order, see
engine.access.authorize), moves the subject to its new state with its new deadline, appends
the history row, and swaps the escalation steps of the state left for those of the state
entered, all in the caller's transaction. The plan and report operations wrap it with what is
theirs alone (the submission snapshot, the emails).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm.exc import StaleDataError

from .accounts.models import User
from .deadlines.calendar_store import current_calendar
from .deadlines.scheduling import cancel_pending_steps, due_time, schedule_steps
from .engine import GuardFailed, OutOfScope, StaleObject, TransitionDef, authorize, guards
from .extensions import db
from .models_base import utcnow
from .plans.access import can_view, scope_of
from .plans.models import ActionPlan, PlanTransition
from .unit_of_work import STALE_MESSAGE
from .workflows import definition_of, machine_of, roles


class Subject(Protocol):
    """What a workflow subject (a plan or a report) carries."""

    id: int
    state: str
    version: int
    workflow_version: int


def flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleObject(STALE_MESSAGE) from exc


def fire(
    actor: User,
    subject: Subject,
    trigger: str,
    *,
    plan: ActionPlan,
    report_id: int | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
    incomplete: str = "not complete",
    on_entry: Callable[[str], None] | None = None,
) -> tuple[TransitionDef, PlanTransition]:
    """Fire `trigger` on `subject` (the plan itself, or its report `report_id`) as `actor`.

    `incomplete` is the message of a guard refusal; `on_entry(to_state)` sets fields of the
    subject's own before the row is written. Returns the transition and its history row.
    Raises TransitionRefused subclasses; a refusal changes nothing."""
    if not can_view(actor, plan):
        raise OutOfScope("not found")
    definition = definition_of(subject)
    step, grant = authorize(
        definition, subject.state, trigger, actor.grants(), scope_of(plan), roles(), comment
    )
    if expected_version is not None and expected_version != subject.version:
        raise StaleObject(STALE_MESSAGE)
    problems = [problem for name in step.guards for problem in guards.get(name)(subject)]
    if problems:
        raise GuardFailed(incomplete, problems)
    from_state = subject.state
    to_state = machine_of(subject).next_state(from_state, trigger)
    now = utcnow()
    calendar = current_calendar() if to_state in definition.deadlines else None
    subject.state = to_state
    subject.state_entered_at = now  # type: ignore[attr-defined]
    subject.due_at = due_time(definition, to_state, now, calendar) if calendar else None  # type: ignore[attr-defined]
    if on_entry is not None:
        on_entry(to_state)
    record = PlanTransition(
        plan_id=plan.id,
        report_id=report_id,
        workflow_version=subject.workflow_version,
        from_state=from_state,
        to_state=to_state,
        trigger=trigger,
        actor_id=actor.id,
        acting_for_id=grant.acting_for,
        role=grant.role,
        comment=(comment or "").strip() or None,
        created_at=now,
    )
    db.session.add(record)
    flush()
    # The same transaction: the deadline of the state left is dropped, the new one's steps are
    # scheduled (the caller then writes the people concerned into the outbox).
    cancel_pending_steps(plan.id, report_id=report_id)
    if calendar is not None:
        schedule_steps(
            definition,
            plan_id=plan.id,
            report_id=report_id,
            entry_id=record.id,
            state=to_state,
            due_at=subject.due_at,  # type: ignore[attr-defined]
            calendar=calendar,
        )
    return step, record
