"""Entering a state sets its due time and schedules its escalation steps; leaving it
cancels the steps that have not fired. Called by the core's door (firing.py), in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Update, insert, update

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


def _cancelling(kind: str, subject_id: int) -> Update:
    return (
        update(ScheduledStep.__table__)
        .where(ScheduledStep.subject_is(kind, subject_id), ScheduledStep.status == "pending")
        .values(status="cancelled")
    )


def cancel_pending_steps(kind: str, subject_id: int) -> None:
    """Cancel the pending steps of one case's deadline."""
    db.session.execute(_cancelling(kind, subject_id))


def steps_writes(
    definition: WorkflowDefinition,
    *,
    kind: str,
    subject_id: int,
    entry_id: int,
    state: str,
    due_at: datetime | None,
    calendar: WorkingCalendar | None,
) -> list[Any]:
    """What a transition does to the steps, as statements for the caller to run (firing.py
    runs them with the change's events): cancel the case's pending steps, then insert the
    steps of the state entered (when it has a deadline and `calendar` counts it). Run in one
    statement, the UPDATE does not see the rows the INSERT adds (one snapshot)."""
    writes: list[Any] = [_cancelling(kind, subject_id)]
    deadline = definition.deadlines.get(state)
    if calendar is None or deadline is None or due_at is None or not deadline.steps:
        return writes
    rows = [
        {
            "subject_kind": kind,
            "subject_id": subject_id,
            "entry_id": entry_id,
            "state": state,
            "step": step.name,
            "fire_at": calendar.add_working_days(due_at, step.at),
            "status": "pending",  # given: a default's bind name would clash with the UPDATE's
        }
        for step in deadline.steps
    ]
    # One single-row INSERT per step: a multi-row VALUES has no cache key (compiled each time).
    return [*writes, *(insert(ScheduledStep.__table__).values(row) for row in rows)]


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
