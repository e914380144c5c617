"""Entering a state sets its due time and schedules its escalation steps; leaving it
cancels the steps that have not fired. Called by the core's door (firing.py), in its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from ..engine import WorkflowDefinition
from ..engine.calendar import WorkingCalendar
from ..extensions import db
from .models import ScheduledStep


def due_time(
    definition: WorkflowDefinition, state: str, entered_at: datetime, calendar: WorkingCalendar
) -> datetime | None:
    deadline = definition.deadlines.get(state)
    if deadline is None:
        return None
    return calendar.add_working_days(entered_at, deadline.sla)


def cancel_pending_steps(kind: str, subject_id: int) -> None:
    """Cancel the pending steps of one case's deadline."""
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.subject_is(kind, subject_id), ScheduledStep.status == "pending")
        .values(status="cancelled")
    )


def schedule_steps(
    definition: WorkflowDefinition,
    *,
    kind: str,
    subject_id: int,
    entry_id: int,
    state: str,
    due_at: datetime | None,
    calendar: WorkingCalendar,
) -> list[ScheduledStep]:
    deadline = definition.deadlines.get(state)
    if deadline is None or due_at is None:
        return []
    steps = [
        ScheduledStep(
            subject_kind=kind,
            subject_id=subject_id,
            entry_id=entry_id,
            state=state,
            step=step.name,
            fire_at=calendar.add_working_days(due_at, step.at),
        )
        for step in deadline.steps
    ]
    db.session.add_all(steps)
    return steps
