"""Changing the working-day calendar: an admin declares a day off, makes a package holiday a
working day, or takes such an override back. Each change recomputes, in the same transaction,
the due time of the plans whose deadline window contains the day and the fire time of their
pending steps, counted again from each plan's entry into its current state.

The caller wraps these in `unit_of_work()`, as for every other operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select, update

from ..accounts.models import User
from ..audit.admin_log import Action, record_act
from ..engine import InvalidInput, OutOfScope, Role, RoleNotAllowed
from ..engine.calendar import WITA, WorkingCalendar
from ..extensions import db
from ..subjects import CaseKind, case_kinds, kind_of
from ..templating import long_date
from ..workflows import definition_of
from .calendar_store import current_calendar
from .models import CalendarOverride, ScheduledStep
from .scheduling import due_time

NOTE_LENGTH = 200


@dataclass(frozen=True)
class Recomputed:
    """What a calendar change moved (`plans` counts reports too: each is a deadline)."""

    plans: int = 0
    steps: int = 0


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise RoleNotAllowed("only an administrator may change the working-day calendar")


def add_holiday(actor: User, day: date, note: str) -> Recomputed:
    """Declare `day` a day off (a holiday the package does not know, e.g. declared mid-year)."""
    _require_admin(actor)
    calendar = current_calendar()
    if not calendar.is_working_day(day):
        raise InvalidInput(_("%(day)s is already a day off.", day=long_date(day)))
    _add_override(actor, day, is_holiday=True, note=note)
    return recompute_deadlines(day)


def add_working_day(actor: User, day: date, note: str) -> Recomputed:
    """Make a holiday from the package a working day after all (e.g. a cancelled cuti bersama)."""
    _require_admin(actor)
    calendar = current_calendar()
    if day.weekday() >= 5 or calendar.is_working_day(day):
        raise InvalidInput(
            _(
                "Only a holiday on a weekday can be made a working day; %(day)s is not one.",
                day=long_date(day),
            )
        )
    _add_override(actor, day, is_holiday=False, note=note)
    return recompute_deadlines(day)


def remove_override(actor: User, override_id: int) -> Recomputed:
    """Take an override back: the day is again what the package says."""
    _require_admin(actor)
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        raise OutOfScope("calendar override not found")
    day = override.day
    details = _calendar_details("removed", override)
    db.session.delete(override)
    db.session.flush()
    record_act(actor, Action.CALENDAR_CHANGED, details=details)
    return recompute_deadlines(day)


def _add_override(actor: User, day: date, *, is_holiday: bool, note: str) -> None:
    taken = db.session.scalar(select(CalendarOverride.id).where(CalendarOverride.day == day))
    if taken is not None:
        raise InvalidInput(
            _("%(day)s already has an override; delete it first.", day=long_date(day))
        )
    override = CalendarOverride(
        day=day, is_holiday=is_holiday, note=note.strip()[:NOTE_LENGTH], created_by_id=actor.id
    )
    db.session.add(override)
    db.session.flush()
    record_act(actor, Action.CALENDAR_CHANGED, details=_calendar_details("added", override))


def _calendar_details(change: str, override: CalendarOverride) -> dict[str, str]:
    """What the log records of an override added or removed."""
    return {
        "change": change,
        "day": override.day.isoformat(),
        "kind": "holiday" if override.is_holiday else "working_day",
        "note": override.note,
    }


def _affected(kind: CaseKind, day: date) -> list[Any]:
    """Cases of `kind` with a deadline whose window (from entering the state to the due time
    or the last pending step) contains `day`; no other one's dates can change."""
    model = kind.model
    day_start = datetime.combine(day, time.min, tzinfo=WITA)
    day_end = day_start + timedelta(days=1)
    later_step = exists().where(
        ScheduledStep.subject_is(kind.name, model.id),
        ScheduledStep.status == "pending",
        ScheduledStep.fire_at >= day_start,
    )
    query = (
        select(model)
        .where(
            kind.rows_where(),
            model.due_at.is_not(None),
            model.state_entered_at < day_end,
            or_(model.due_at >= day_start, later_step),
        )
        .order_by(model.id)
    )
    return list(db.session.scalars(query))


def _reschedule(subject: Any, calendar: WorkingCalendar) -> tuple[bool, int]:
    """New due time and pending step times for one case; (changed, steps moved)."""
    definition = definition_of(subject)
    due_at = due_time(definition, subject.state, subject.state_entered_at, calendar)
    if due_at is None:
        return False, 0
    changed = due_at != subject.due_at
    model = type(subject)
    if changed:
        # A plain UPDATE, not the ORM: a moved deadline is not an edit, so the version stays
        # and nobody's open form turns stale. The version in the WHERE clause skips one that
        # a transition moved on meanwhile (it set its own deadline).
        moved = db.session.execute(
            update(model)
            .where(model.id == subject.id, model.version == subject.version)
            .values(due_at=due_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            return False, 0
        db.session.expire(subject, ["due_at"])
    offsets = {step.name: step.at for step in definition.deadlines[subject.state].steps}
    own_steps = ScheduledStep.subject_is(kind_of(subject).name, subject.id)
    steps_moved = 0
    pending = db.session.scalars(
        select(ScheduledStep).where(
            own_steps,
            ScheduledStep.state == subject.state,
            ScheduledStep.status == "pending",
        )
    )
    for step in pending:
        if step.step not in offsets:
            continue
        fire_at = calendar.add_working_days(due_at, offsets[step.step])
        if fire_at != step.fire_at:
            step.fire_at = fire_at
            steps_moved += 1
    return changed, steps_moved


def recompute_deadlines(day: date) -> Recomputed:
    """Recompute the deadlines a change of `day` in the calendar can move."""
    calendar = current_calendar()
    plans = steps = 0
    affected = [subject for kind in case_kinds() for subject in _affected(kind, day)]
    for subject in affected:
        changed, moved = _reschedule(subject, calendar)
        plans += int(changed)
        steps += moved
    db.session.flush()
    return Recomputed(plans=plans, steps=steps)
