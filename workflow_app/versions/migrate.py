"""Moving running cases from one version of their workflow to another, on the record.

Each case moved gets one history row (trigger `migrate`, by the system) in its audit chain;
its deadline is counted again under the new version from the time it entered its state, and
its pending reminders are replaced by the new version's (a step that already fired during
this stay does not fire again).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from ..accounts.system import system_user
from ..deadlines.calendar_store import current_calendar
from ..deadlines.models import ScheduledStep
from ..deadlines.scheduling import due_time, schedule_steps
from ..engine import InvalidInput, Role, WorkflowDefinition
from ..extensions import db
from ..history import new_history_row
from ..models_base import utcnow
from ..subjects import CaseKind, kinds_of_workflow
from ..workflows import registry
from .store import remember

MIGRATE_TRIGGER = "migrate"  # pseudo-trigger of the history row a migration writes


@dataclass(frozen=True)
class Moved:
    kind: str
    case_id: int
    from_state: str
    to_state: str


def _definitions(name: str, old: int, new: int) -> tuple[WorkflowDefinition, WorkflowDefinition]:
    source, target = registry().find(name, old), registry().find(name, new)
    missing = [str(v) for v, d in ((old, source), (new, target)) if d is None]
    if missing:
        known = ", ".join(str(d.version) for d in registry().versions_of(name)) or "none"
        raise InvalidInput(f"{name} has no loaded version {' or '.join(missing)} (loaded: {known})")
    if old == new:
        raise InvalidInput("--from and --to name the same version")
    assert source is not None and target is not None
    return source, target


def check_mapping(
    source: WorkflowDefinition, target: WorkflowDefinition, mapping: dict[str, str]
) -> None:
    problems = [
        f"{old!r} is not a state of version {source.version}"
        for old in mapping
        if old not in source.states
    ]
    problems += [
        f"{new!r} is not a state of version {target.version}"
        for new in mapping.values()
        if new not in target.states
    ]
    if problems:
        raise InvalidInput("; ".join(problems))


def migrate_cases(
    name: str, old: int, new: int, mapping: dict[str, str], *, dry_run: bool = False
) -> list[Moved]:
    """Move every case of workflow `name` from version `old` to `new`, mapping states by
    `mapping` (a state the new version also has keeps its name). Refuses, changing nothing,
    when a case's state has no place in the new version."""
    source, target = _definitions(name, old, new)
    check_mapping(source, target, mapping)
    kinds = kinds_of_workflow(name)
    cases = [
        (kind, case)
        for kind in kinds
        for case in db.session.scalars(
            select(kind.model)
            .where(kind.model.workflow_name == name, kind.model.workflow_version == old)
            .where(kind.rows_where())
            .order_by(kind.model.id)
        )
    ]
    unmapped = sorted(
        {
            case.state
            for _, case in cases
            if mapping.get(case.state, case.state) not in target.states
        }
    )
    if unmapped:
        raise InvalidInput(
            f"cases in state(s) {', '.join(map(repr, unmapped))} have no place in version "
            f"{new}: map each with --map OLD=NEW"
        )
    moved = [
        Moved(kind.name, case.id, case.state, mapping.get(case.state, case.state))
        for kind, case in cases
    ]
    if dry_run:
        return moved
    remember(target)
    actor = system_user()
    calendar = current_calendar()
    for kind, case in cases:
        _move(kind, case, target, mapping.get(case.state, case.state), actor.id, calendar)
    db.session.flush()
    return moved


def _move(
    kind: CaseKind, case, target: WorkflowDefinition, to_state: str, actor_id: int, calendar
) -> None:
    from_state, old_version = case.state, case.workflow_version
    case.workflow_version = target.version
    case.state = to_state
    case.due_at = due_time(target, to_state, case.state_entered_at, calendar)
    record = new_history_row(
        case,
        workflow_version=target.version,
        from_state=from_state,
        to_state=to_state,
        trigger=MIGRATE_TRIGGER,
        actor_id=actor_id,
        role=Role.SYSTEM,
        comment=f"{target.name} version {old_version} → {target.version}",
        created_at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    own_steps = [ScheduledStep.subject_is(kind.name, case.id)]
    fired = set(
        db.session.scalars(
            select(ScheduledStep.step).where(
                *own_steps,
                ScheduledStep.status == "done",
                ScheduledStep.state == from_state,
                ScheduledStep.fire_at >= case.state_entered_at,
            )
        )
    )
    db.session.execute(
        update(ScheduledStep)
        .where(*own_steps, ScheduledStep.status == "pending")
        .values(status="cancelled")
    )
    if case.due_at is None:
        return
    for step in schedule_steps(
        target,
        kind=kind.name,
        subject_id=case.id,
        entry_id=record.id,
        state=to_state,
        due_at=case.due_at,
        calendar=calendar,
    ):
        if step.step in fired:
            db.session.expunge(step)
