"""Entering a state sets its due time and schedules its escalation steps; leaving it
cancels the steps that have not fired. Called by the core's door (firing.py), in its transaction."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, literal_column, select, union_all, update

from ..changes.writes import Write
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


@cache
def _cancelling() -> Update:
    """Cancel one case's pending steps (`cancel_kind`, `cancel_id`), built once; its
    constants written in (a bound value each would be one more to convert per call)."""
    table = ScheduledStep.__table__
    return (
        update(table)
        .where(
            table.c.subject_kind == bindparam("cancel_kind"),
            table.c.subject_id == bindparam("cancel_id"),
            table.c.status == literal_column("'pending'"),
        )
        .values(status=literal_column("'cancelled'"))
    )


def cancel_pending_steps(kind: str, subject_id: int) -> None:
    """Cancel the pending steps of one case's deadline."""
    db.session.execute(_cancelling(), {"cancel_kind": kind, "cancel_id": subject_id})


@cache
def _inserting(count: int) -> Insert:
    """Insert `count` pending steps of one state entry (one statement: INSERT … SELECT,
    a row per step), built once per count. Bound: `steps_kind`, `steps_subject_id`,
    `steps_entry_id`, `steps_state`, and each step's `step_<n>` and `fire_at_<n>`."""
    table = ScheduledStep.__table__
    shared = [
        bindparam(f"steps_{column}", type_=table.c[column].type)
        for column in ("subject_kind", "subject_id", "entry_id", "state")
    ]
    rows = [
        select(
            *shared,
            bindparam(f"step_{n}", type_=table.c.step.type),
            bindparam(f"fire_at_{n}", type_=table.c.fire_at.type),
            literal_column("'pending'", table.c.status.type),
        )
        for n in range(count)
    ]
    columns = ["subject_kind", "subject_id", "entry_id", "state", "step", "fire_at", "status"]
    return insert(table).from_select(columns, union_all(*rows) if count > 1 else rows[0])


def _due_steps(
    definition: WorkflowDefinition,
    state: str,
    due_at: datetime | None,
    calendar: WorkingCalendar | None,
) -> list[tuple[str, datetime]]:
    """The steps of the deadline of `state` entered with `due_at`: (name, when it fires)."""
    deadline = definition.deadlines.get(state)
    if calendar is None or deadline is None or due_at is None:
        return []
    return [(step.name, calendar.add_working_days(due_at, step.at)) for step in deadline.steps]


def steps_writes(
    definition: WorkflowDefinition,
    *,
    kind: str,
    subject_id: int,
    entry_id: int,
    state: str,
    due_at: datetime | None,
    calendar: WorkingCalendar | None,
) -> list[Write]:
    """What a transition does to the steps, as writes for the caller to run (firing.py runs
    them with the change's events): cancel the case's pending steps, then insert the steps of
    the state entered (when it has a deadline and `calendar` counts it). Run in one
    statement, the UPDATE does not see the rows the INSERT adds (one snapshot)."""
    writes = [
        Write(("cancel steps",), _cancelling(), {"cancel_kind": kind, "cancel_id": subject_id})
    ]
    steps = _due_steps(definition, state, due_at, calendar)
    if not steps:
        return writes
    params: dict[str, Any] = {
        "steps_subject_kind": kind,
        "steps_subject_id": subject_id,
        "steps_entry_id": entry_id,
        "steps_state": state,
    }
    for n, (name, fire_at) in enumerate(steps):
        params |= {f"step_{n}": name, f"fire_at_{n}": fire_at}
    return [*writes, Write(("insert steps", len(steps)), _inserting(len(steps)), params)]


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
    steps = [
        ScheduledStep(
            subject_kind=kind,
            subject_id=subject_id,
            entry_id=entry_id,
            state=state,
            step=name,
            fire_at=fire_at,
        )
        for name, fire_at in _due_steps(definition, state, due_at, calendar)
    ]
    db.session.add_all(steps)
    return steps
