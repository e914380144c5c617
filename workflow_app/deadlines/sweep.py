"""The escalation sweep: fire every scheduled step whose time has come.

It reads pending steps through the (status, fire_at) index, so its cost follows what is due,
not how many plans exist. Each step is claimed with a conditional UPDATE (pending → done) in
the same transaction as its outbox rows: two sweeps at once, or one run twice, send it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update

from ..accounts.system import system_user
from ..engine import TransitionRefused
from ..engine.definition import DeadlineStep
from ..extensions import db
from ..firing import fire
from ..models_base import utcnow
from ..notifications.events import notify_step, step_recipients, step_spec
from ..signoffs import service as signoffs
from ..subjects import kind_named, load_case
from ..unit_of_work import unit_of_work
from .models import ScheduledStep

BATCH = 200
log = logging.getLogger(__name__)


@dataclass
class FiredStep:
    step_id: int
    subject_kind: str
    subject_id: int
    state: str
    step: str
    fire_at: datetime
    recipients: list[str] = field(default_factory=list)  # usernames
    facts: dict[str, Any] = field(default_factory=dict)  # the case's, as its emails show them
    description: str = ""  # the case in a line ("plan 12 report TW III 2026")
    fires: str | None = None  # the trigger the step fired as the system, if it acts


def _due_steps(
    at: datetime, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[datetime, int]]:
    """(fire_at, id) of the next due steps after `after`, in (fire_at, id) order.

    Paging on (fire_at, id) lets the (status, fire_at) index deliver the rows in order. Paging
    on id alone let PostgreSQL walk the primary key instead, filtering every fired step: it
    takes the due rows for frequent when most pending steps lie in the future and most past
    steps are done, and then the sweep reads the whole table.
    """
    query = select(ScheduledStep.fire_at, ScheduledStep.id).where(
        ScheduledStep.status == "pending", ScheduledStep.fire_at <= at
    )
    if after is not None:
        query = query.where(tuple_(ScheduledStep.fire_at, ScheduledStep.id) > after)
    query = query.order_by(ScheduledStep.fire_at, ScheduledStep.id).limit(limit)
    return [(fire_at, step_id) for fire_at, step_id in db.session.execute(query)]


def run_sweep(at: datetime | None = None, *, dry_run: bool = False) -> list[FiredStep]:
    """Fire (or, with `dry_run`, only list) the steps due at `at` (default: now)."""
    at = at or utcnow()
    fired: list[FiredStep] = []
    after: tuple[datetime, int] | None = None
    while due := _due_steps(at, after, BATCH):
        after = due[-1]
        for _, step_id in due:
            try:
                with unit_of_work():
                    result = _fire(step_id, dry_run)
            except (KeyError, StopIteration) as exc:
                # Its definition version, state or step is not loaded (a file removed or
                # changed under running cases). The step stays pending, to fire once the file
                # is back; `workflow-app status` reports it. The others still fire.
                log.error("step %s skipped: its definition cannot be read (%s)", step_id, exc)
                continue
            if result is not None:
                fired.append(result)
    return fired


def _fire(step_id: int, dry_run: bool) -> FiredStep | None:
    if not dry_run:
        claimed = db.session.execute(
            update(ScheduledStep)
            .where(ScheduledStep.id == step_id, ScheduledStep.status == "pending")
            .values(status="done", done_at=utcnow())
        ).rowcount
        if claimed != 1:
            return None  # another sweep fired it, or the plan moved on meanwhile
    step = db.session.get(ScheduledStep, step_id)
    case = load_case(step.subject_kind, step.subject_id)
    if case is None:
        raise KeyError(f"{step.subject_kind} {step.subject_id}")
    kind = kind_named(step.subject_kind)
    # The case moved on between the claim and now (its transition cancels pending steps, so
    # only a race gets here), or it no longer chases anyone (a report whose plan left
    # monitoring): record the step as cancelled, not as sent.
    if case.state != step.state or not kind.is_active(case):
        if not dry_run:
            step.status = "cancelled"
        return None
    if step.sign_off_id is not None:
        return _fire_sign_off_step(case, step, dry_run)
    spec = step_spec(case, step.state, step.step)
    facts = kind.facts_of(case)  # as the case stood when the step came due
    recipients = step_recipients(case, step)
    if not dry_run:
        # A timer acts first: refused, it sends nothing either. The step's own emails then
        # tell of the case as it stood when the step came due.
        if spec.fire is not None and not _act(case, step, spec):
            return None
        notify_step(case, step, recipients, facts)
    usernames = [user.username for user in recipients]
    return FiredStep(
        step.id,
        kind.name,
        case.id,
        step.state,
        step.step,
        step.fire_at,
        usernames,
        facts=facts,
        description=kind.describe(case),
        fires=spec.fire,
    )


def _fire_sign_off_step(case: Any, step: ScheduledStep, dry_run: bool) -> FiredStep | None:
    """A participant's sign-off step: remind whom it names while the answer is missing; one
    that counts silence as an answer records it and may settle the sign-off."""
    if not signoffs.still_open(step):
        if not dry_run:
            step.status = "cancelled"
        return None
    kind = kind_named(step.subject_kind)
    spec = signoffs.step_of(case, step)
    facts = kind.facts_of(case)
    recipients = signoffs.step_recipients(case, step)
    fired = None
    if not dry_run:
        if spec.counts_as is not None:
            fired = signoffs.count_silence(case, step, spec)
        if recipients:
            notify_step(case, step, recipients, facts, spec=spec)
    return FiredStep(
        step.id,
        kind.name,
        case.id,
        step.state,
        step.step,
        step.fire_at,
        [user.username for user in recipients],
        facts=facts,
        description=kind.describe(case),
        fires=fired,
    )


def _act(case: Any, step: ScheduledStep, spec: DeadlineStep) -> bool:
    """A timer that acts: the system fires the step's trigger through the one door, in the
    step's own transaction (claimed once, so fired once however many sweeps run). A refusal
    (a guard no longer met, say) changes nothing: the step ends cancelled and is logged."""
    assert spec.fire is not None
    summary = spec.summary.get("id") if spec.summary is not None else spec.name
    try:
        fire(system_user(), case, spec.fire, comment=f"{summary} ({spec.name})")
    except TransitionRefused as refused:
        log.warning("step %s could not fire %r: %s", step.id, spec.fire, refused.message)
        step.status = "cancelled"
        return False
    return True
