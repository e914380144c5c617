"""Parallel sign-off at work: who is asked when a case enters a sign-off state, recording an
answer, and the quorum that makes the system fire the declared outcome through the one door.

Answers on one case are serialised by a row lock on the case (taken by a no-op UPDATE, which
locks on PostgreSQL and SQLite alike) before the answers are counted: two participants
answering at the same moment are counted one after the other, so neither answer is lost and
the outcome fires once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..accounts.models import RoleAssignment, User
from ..accounts.system import system_user
from ..deadlines.calendar_store import current_calendar
from ..deadlines.models import ScheduledStep
from ..engine import (
    CommentRequired,
    Grant,
    InvalidInput,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
    TransitionRefused,
)
from ..engine.sign_off import AGREE, ANSWERS, OBJECT, PARTICIPANT, SignOffSpec, SignOffStep
from ..extensions import db
from ..firing import Fired, fire, flush, on_fired
from ..history import CaseTransition
from ..models_base import utcnow
from ..notifications.recipients import holders_of
from ..regions.models import Region
from ..subjects import kind_of, load_case
from ..workflows import covers, definition_of
from .models import SignOff

log = logging.getLogger(__name__)
COMMENT_LIMIT = 5000
SILENCE_COMMENT = "Tidak ada tanggapan sampai tenggat: dianggap tidak keberatan."


def spec_here(case: Any) -> SignOffSpec | None:
    """The sign-off the case's current state holds, if any."""
    return definition_of(case).states[case.state].sign_off


def participants_of(case: Any, role: str) -> list[User]:
    """The active holders of `role` themselves (not who acts for them) where the case is."""
    scope = kind_of(case).scope_of(case)
    query = (
        select(User, RoleAssignment.role, Region.code)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Region, Region.id == RoleAssignment.region_id)
        .where(RoleAssignment.role == role, User.active.is_(True))
        .order_by(User.full_name, User.id)
    )
    found: dict[int, User] = {}
    for user, held, code in db.session.execute(query):
        if covers(Grant(held, code), scope):
            found.setdefault(user.id, user)
    return list(found.values())


def current_round(case: Any) -> list[SignOff]:
    """The sign-off rows of the case's current stay in its state (empty: none open)."""
    if spec_here(case) is None:
        return []
    entered = db.session.scalar(
        select(func.max(CaseTransition.id)).where(
            CaseTransition.subject_of(case), CaseTransition.to_state == case.state
        )
    )
    return list(
        db.session.scalars(select(SignOff).where(SignOff.entry_id == entered).order_by(SignOff.id))
    )


@on_fired
def _open_round(event: Fired) -> None:
    """Entering a sign-off state asks every participant, each with their own steps."""
    case, record = event.case, event.record
    spec = spec_here(case)
    if spec is None or record is None:
        return
    calendar = current_calendar()
    now = utcnow()
    due_at = calendar.add_working_days(now, spec.sla)
    rows = [
        SignOff(
            subject_kind=event.kind.name,
            subject_id=case.id,
            entry_id=record.id,
            state=case.state,
            participant_id=user.id,
            due_at=due_at,
            opened_at=now,
        )
        for user in participants_of(case, spec.role)
    ]
    db.session.add_all(rows)
    flush()
    db.session.add_all(
        ScheduledStep(
            subject_kind=event.kind.name,
            subject_id=case.id,
            entry_id=record.id,
            state=case.state,
            step=f"{step.name}:{row.id}",
            fire_at=calendar.add_working_days(due_at, step.at),
            sign_off_id=row.id,
        )
        for row in rows
        for step in spec.steps
    )


def _lock(case: Any) -> None:
    """Take the case's row lock for the rest of the transaction and read it afresh."""
    model = type(case)
    db.session.execute(update(model).where(model.id == case.id).values(id=model.id))
    db.session.refresh(case)


def row_of(user: User, case: Any, rows: list[SignOff]) -> SignOff | None:
    """The row `user` answers: their own, else that of someone they act for today (Plt/Plh)
    in the participants' role; None when they are not asked."""
    spec = spec_here(case)
    if spec is None:
        return None
    own = next((row for row in rows if row.participant_id == user.id), None)
    if own is not None:
        return own
    scope = kind_of(case).scope_of(case)
    acting_for = {g.acting_for for g in user.grants() if g.role == spec.role and covers(g, scope)}
    return next((row for row in rows if row.participant_id in acting_for), None)


@dataclass
class Answered:
    row: SignOff
    fired: str | None  # the trigger the answer made the system fire, if any


def answer(user: User, case: Any, value: str, comment: str | None) -> Answered:
    """Record `user`'s answer (agree or object, with a comment) on the case's open sign-off,
    then fire the outcome the answers call for. Raises TransitionRefused subclasses."""
    if not kind_of(case).visible_to(user, case):
        raise OutOfScope("not found")
    if value not in ANSWERS:
        raise InvalidInput(_("Answer with “agree” or “object”."))
    text = (comment or "").strip()
    if value == OBJECT and not text:
        raise CommentRequired(_("Say what you object to in the comment."))
    if len(text) > COMMENT_LIMIT:
        raise InvalidInput(_("The comment is too long."))
    _lock(case)
    spec = spec_here(case)
    rows = current_round(case) if spec is not None else []
    if spec is None or not rows:
        raise NotAllowedFromState(_("No sign-off is open on this case now."))
    row = row_of(user, case, rows)
    if row is None:
        raise RoleNotAllowed(_("You are not asked for an opinion on this case."))
    if row.answer is not None:
        raise NotAllowedFromState(_("This opinion has already been given."))
    _record(row, value, text or None, user)
    return Answered(row, _settle(case, spec, rows))


def _record(row: SignOff, value: str, comment: str | None, by: User) -> None:
    row.answer, row.comment = value, comment
    row.answered_by_id, row.answered_at = by.id, utcnow()
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.sign_off_id == row.id, ScheduledStep.status == "pending")
        .values(status="cancelled")
    )
    flush()


def rounds_of(row: SignOff) -> list[SignOff]:
    """Every row of the round `row` belongs to (the same stay in the state)."""
    return list(
        db.session.scalars(
            select(SignOff).where(SignOff.entry_id == row.entry_id).order_by(SignOff.id)
        )
    )


def tally(rows: list[SignOff]) -> tuple[int, int]:
    """(agreed, objected) among `rows`."""
    agreed = sum(1 for row in rows if row.answer == AGREE)
    return agreed, sum(1 for row in rows if row.answer == OBJECT)


def _settle(case: Any, spec: SignOffSpec, rows: list[SignOff]) -> str | None:
    """Fire the outcome the answers call for, as the system through the one door."""
    agreed, objected = tally(rows)
    trigger = spec.outcome(len(rows), agreed, objected)
    if trigger is None:
        return None
    objections = "; ".join(
        f"{row.participant.full_name}: {row.comment}" for row in rows if row.answer == OBJECT
    )
    summary = f"{agreed}/{len(rows)} setuju" + (f" — {objections}" if objections else "")
    try:
        fire(system_user(), case, trigger, comment=summary)
    except TransitionRefused as refused:
        # The answer stands; the owner of the state decides by hand (a guard not met, say).
        log.warning("sign-off on %s could not fire %r: %s", case.id, trigger, refused.message)
        return None
    return trigger


def step_of(case: Any, scheduled: ScheduledStep) -> SignOffStep:
    """The sign-off step a scheduled row is (KeyError when its definition lost it)."""
    spec = definition_of(case).states[scheduled.state].sign_off
    found = spec.step(scheduled.step.split(":", 1)[0]) if spec is not None else None
    if found is None:
        raise KeyError(scheduled.step)
    return found


def step_recipients(case: Any, scheduled: ScheduledStep) -> list[User]:
    """Who a participant's step tells: the participant (`participant`), and the holders of
    the roles it names where the case is."""
    step = step_of(case, scheduled)
    row = db.session.get(SignOff, scheduled.sign_off_id)
    roles = [name for name in step.notify if name != PARTICIPANT]
    found = holders_of(roles, kind_of(case).scope_of(case))
    if PARTICIPANT in step.notify and row is not None and row.participant.active:
        found = [row.participant, *[user for user in found if user.id != row.participant_id]]
    return found


def still_open(scheduled: ScheduledStep) -> bool:
    row = db.session.get(SignOff, scheduled.sign_off_id)
    return row is not None and row.answer is None


def count_silence(case: Any, scheduled: ScheduledStep, step: SignOffStep) -> str | None:
    """A step whose deadline counts silence as an answer: record it for the system, then
    settle the sign-off; the trigger fired, if any."""
    _lock(case)
    spec = spec_here(case)
    row = db.session.get(SignOff, scheduled.sign_off_id)
    if spec is None or row is None or row.answer is not None or step.counts_as is None:
        return None
    rows = current_round(case)
    if row not in rows:
        return None
    # Stored text, read later by everyone: in the interface's first language.
    _record(row, step.counts_as, SILENCE_COMMENT, system_user())
    return _settle(case, spec, rows)


def waiting_for(user: User) -> list[SignOff]:
    """The open sign-offs `user` is asked for (their own), the earliest due first."""
    rows = db.session.scalars(
        select(SignOff)
        .where(SignOff.participant_id == user.id, SignOff.answer.is_(None))
        .order_by(SignOff.due_at, SignOff.id)
    )
    return [row for row in rows if _is_current(row)]


def _is_current(row: SignOff) -> bool:
    case = load_case(row.subject_kind, row.subject_id)
    return case is not None and case.state == row.state and row in current_round(case)
