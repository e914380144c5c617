"""The monitoring round, run by beat every few minutes (and by `workflow-app monitoring run`):
plans waiting for their period to start (the sources of a transition declared
`automatic: period_start`) move on once it has, the system firing that transition; and every
plan in a state tagged `monitoring` gets the report of each quarter that has ended since it
entered that state.

Both halves are idempotent: a plan already monitored is skipped, a report that exists is not
opened again (and the unique (plan, year, quarter) key stops a second round running at the same
moment). Each plan is its own transaction, so one bad plan does not hold up the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.system import system_user
from ..deadlines.calendar_store import current_calendar
from ..engine import TransitionDef, TransitionRefused, WorkflowDefinition
from ..engine.calendar import WITA
from ..extensions import db
from ..models_base import utcnow
from ..plans import operations as plan_operations
from ..plans.models import ActionPlan
from ..unit_of_work import unit_of_work
from ..workflows import PLAN_WORKFLOW, definition_of, definitions_of
from .models import ProgressReport
from .operations import open_report
from .quarters import quarters_ended_between
from .requirements import MONITORING, PERIOD_START

log = logging.getLogger(__name__)


@dataclass
class RoundResult:
    started: list[int] = field(default_factory=list)  # plan ids
    opened: list[tuple[int, str]] = field(default_factory=list)  # (plan id, quarter label)


def run_round(at: datetime | None = None) -> RoundResult:
    at = at or utcnow()
    result = RoundResult()
    result.started = start_due_monitoring(at)
    result.opened = open_due_reports(at)
    return result


def _in_states(definition: WorkflowDefinition, states: set[str] | list[str]):
    """Plans running under `definition` (its name and version) whose state is in `states`."""
    return and_(
        ActionPlan.workflow_name == definition.name,
        ActionPlan.workflow_version == definition.version,
        ActionPlan.state.in_(sorted(states)),
    )


def _period_start_transition(definition: WorkflowDefinition, state: str) -> TransitionDef | None:
    """The transition the system fires from `state` when the plan's period starts, if any."""
    return next(
        (t for t in definition.transitions_where(automatic=PERIOD_START) if state in t.sources),
        None,
    )


def waiting_for_period_start():
    """Plans in a state that a `period_start` transition of their definition leaves."""
    conditions = [
        _in_states(d, {s for t in d.transitions_where(automatic=PERIOD_START) for s in t.sources})
        for d in definitions_of(PLAN_WORKFLOW)
    ]
    return or_(false(), *conditions)


def monitored():
    """Plans in a state their definition tags `monitoring`."""
    conditions = [_in_states(d, d.states_tagged(MONITORING)) for d in definitions_of(PLAN_WORKFLOW)]
    return or_(false(), *conditions)


def start_due_monitoring(at: datetime) -> list[int]:
    """Plans waiting for their period, whose first year has begun (in WITA), move on: the
    system fires their definition's `period_start` transition."""
    year = at.astimezone(WITA).year
    plan_ids = db.session.scalars(
        select(ActionPlan.id)
        .where(waiting_for_period_start(), ActionPlan.period_start <= year)
        .order_by(ActionPlan.id)
    ).all()
    started = []
    for plan_id in plan_ids:
        try:
            with unit_of_work():
                plan = db.session.get(ActionPlan, plan_id)
                if plan is None:
                    continue
                automatic = _period_start_transition(definition_of(plan), plan.state)
                if automatic is None:  # moved on meanwhile
                    continue
                # The history keeps the reason in the installation's language.
                with force_locale("id"):
                    reason = _("The plan's period has begun: monitoring starts automatically.")
                plan_operations.transition(system_user(), plan, automatic.trigger, comment=reason)
            started.append(plan_id)
        except TransitionRefused as refused:  # moved on meanwhile, or a stale version
            log.info("plan %s: monitoring not started (%s)", plan_id, refused)
    return started


def open_due_reports(at: datetime) -> list[tuple[int, str]]:
    """Open the report of every quarter that ended since each monitored plan (in a state
    tagged `monitoring`) entered that state, up to `at`, within the plan's period."""
    plans = db.session.execute(
        select(ActionPlan.id, ActionPlan.state_entered_at, ActionPlan.period_end)
        .where(monitored())
        .order_by(ActionPlan.id)
    ).all()
    # One query for the reports that exist, so a round costs what is new, not what is there.
    existing = {
        tuple(row)
        for row in db.session.execute(
            select(ProgressReport.plan_id, ProgressReport.year, ProgressReport.quarter)
            .join(ActionPlan, ActionPlan.id == ProgressReport.plan_id)
            .where(monitored())
        )
    }
    opened = []
    calendar = current_calendar()
    for plan_id, monitored_since, period_end in plans:
        for quarter in quarters_ended_between(monitored_since, at):
            if quarter.year > period_end:
                break
            if (plan_id, quarter.year, quarter.number) in existing:
                continue
            try:
                with unit_of_work():
                    plan = db.session.get(ActionPlan, plan_id)
                    report = open_report(system_user(), plan, quarter, calendar)
            except IntegrityError:  # another round opened it at the same moment
                continue
            if report is not None:
                opened.append((plan_id, quarter.label))
    return opened
