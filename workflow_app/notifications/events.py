"""What a case's events tell whom, for every kind of case: the owners of the new state must
act, the roles a transition names in `inform` need to know, an escalation step notifies the
roles it names. The facts come from the case's kind (subjects.CaseKind.facts_of)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..accounts.models import User
from ..engine import TransitionDef
from ..engine.definition import DeadlineStep
from ..subjects import kind_of
from ..workflows import definition_of
from .outbox import Recipient, add_notifications
from .recipients import holders_of

# The event of a case that has just been opened in its initial state by the system (a report
# falling due): `<event_prefix>open`.
OPENED = "open"


def _subject(case: Any) -> tuple[str, int]:
    return (kind_of(case).name, case.id)


def told_of(case: Any, step: TransitionDef) -> list[str]:
    """The roles a transition's emails go to: the owners of the state it enters (unless it
    is final), then the roles it names in `inform`."""
    state = definition_of(case).states[step.dest]
    roles = list(step.inform)
    if not state.final:
        roles.insert(0, state.owner)
    return roles


def notify_transition(
    case: Any,
    step: TransitionDef,
    record: Any,
    actor: User,
    holders: Sequence[Recipient] | None = None,
) -> None:
    """The emails of one fired transition (`record`: its history row); `holders`: those of
    `told_of(case, step)`, when the caller has read them already (firing.py)."""
    kind = kind_of(case)
    if holders is None:
        holders = holders_of(told_of(case, step), kind.scope_of(case))
    recipients = [u for u in holders if u.id != actor.id]
    payload = kind.facts_of(case) | {
        "trigger": record.trigger,
        "from_state": record.from_state,
        "to_state": record.to_state,
        "actor_name": str(actor),
        "comment": record.comment,
        "at": record.created_at.isoformat(),
    }
    event = f"{kind.event_prefix}{record.trigger}"
    add_notifications(event, recipients, payload, subject=_subject(case))


def notify_opened(case: Any) -> None:
    """A case the system opened: the owners of its first state learn it is due, and by when."""
    kind = kind_of(case)
    owner = definition_of(case).states[case.state].owner
    recipients = holders_of([owner], kind.scope_of(case))
    payload = kind.facts_of(case) | {"trigger": OPENED, "to_state": case.state}
    add_notifications(f"{kind.event_prefix}{OPENED}", recipients, payload, subject=_subject(case))


def step_spec(case: Any, state: str, step: str) -> DeadlineStep:
    """The definition of a scheduled step (KeyError or StopIteration when it is gone)."""
    found = definition_of(case).deadlines[state].step(step)
    if found is None:
        raise KeyError(step)
    return found


def step_recipients(case: Any, scheduled: Any) -> list[User]:
    """Who an escalation step tells: the holders of the roles it names, in the case's scope."""
    spec = step_spec(case, scheduled.state, scheduled.step)
    return holders_of(spec.notify, kind_of(case).scope_of(case))


def notify_step(
    case: Any,
    scheduled: Any,
    recipients: list[User],
    facts: dict[str, Any] | None = None,
    spec: Any = None,
) -> int:
    """Write the emails of one escalation step to `recipients`; the number written. `facts`:
    the case's as the step came due, when it has changed since (a timer that acted); `spec`:
    the step, when it is not the state deadline's (a participant's sign-off step)."""
    spec = spec if spec is not None else step_spec(case, scheduled.state, scheduled.step)
    extra = {"sign_off": True} if getattr(scheduled, "sign_off_id", None) else {}
    payload = (
        (facts if facts is not None else kind_of(case).facts_of(case))
        | extra
        | {
            "step": spec.name,
            "at_working_days": spec.at,
            "fire_at": scheduled.fire_at.isoformat(),
        }
    )
    ids = add_notifications(
        spec.kind, recipients, payload, subject=_subject(case), step_id=scheduled.id
    )
    return len(ids)
