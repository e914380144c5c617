"""Returns: which steps of a plan's history sent it back to its drafter, the one still
waiting for an answer, and what became of the comments open at a return by the next
submission.

A return is read from the definition, never from a trigger's name: a transition out of a
state tagged `review` into an `editable` state whose comment is required (the reason). A
submission is a transition marked `snapshot`, as for the review rounds (operations.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..accounts.models import User
from ..engine import WorkflowDefinition
from ..extensions import db
from ..history import CaseTransition
from ..plans.models import PLAN_KIND_NAME, ActionPlan
from ..workflows import definition_of, registry
from .models import ReviewComment, ReviewReply
from .operations import REVIEW_TAG, comments_of
from .threads import is_answer


def is_return(definition: WorkflowDefinition, trigger: str, from_state: str | None) -> bool:
    """Whether firing `trigger` from `from_state` sends the case back for revision."""
    transition = definition.transition_for(trigger, from_state) if from_state else None
    if transition is None:
        return False
    source, dest = definition.states.get(from_state or ""), definition.states.get(transition.dest)
    return (
        source is not None
        and source.has(REVIEW_TAG)
        and dest is not None
        and dest.editable
        and transition.comment_required
    )


def is_submission(definition: WorkflowDefinition, trigger: str, from_state: str | None) -> bool:
    transition = definition.transition_for(trigger, from_state) if from_state else None
    return transition is not None and transition.snapshot


def _definition(
    plan: ActionPlan, row: CaseTransition, found: dict[tuple[str, int], WorkflowDefinition]
) -> WorkflowDefinition:
    """The version the row was written under (a migrated plan keeps its old rows); `found`:
    the versions a list's plans looked up already (once per version, not once per row)."""
    key = (plan.workflow_name, row.workflow_version)
    definition = found.get(key)
    if definition is None:
        definition = registry().find(*key)
        if definition is None:
            return definition_of(plan)
        found[key] = definition
    return definition


def _last_return(
    plan: ActionPlan,
    rows: Iterable[CaseTransition],
    found: dict[tuple[str, int], WorkflowDefinition],
) -> CaseTransition | None:
    """The last return among `rows` (oldest first) not followed by a submission."""
    pending = None
    for row in rows:
        definition = _definition(plan, row, found)
        if is_return(definition, row.trigger, row.from_state):
            pending = row
        elif is_submission(definition, row.trigger, row.from_state):
            pending = None
    return pending


def pending_return(plan: ActionPlan) -> CaseTransition | None:
    """The return the plan is still with its drafter for: the plan is in an editable state
    and was not submitted since it was last returned."""
    if not policy.state_of(plan).editable:
        return None
    return _last_return(plan, plan.history, {})


# The history rows that may be a pending return, built once (the plans' ids are bound at each
# call): building it and its cache key (kept with the statement) cost as much as loading its
# rows. The returning user and whom they acted for come joined (the relationships' default);
# their roles, which a list never reads, are left to load on use (not a statement more).
_PLANS_HISTORY = (
    select(CaseTransition)
    .options(
        joinedload(CaseTransition.actor).lazyload(User.roles),
        joinedload(CaseTransition.acting_for).lazyload(User.roles),
    )
    .where(
        CaseTransition.subject_kind == PLAN_KIND_NAME,
        CaseTransition.subject_id.in_(bindparam("plan_ids", expanding=True)),
        CaseTransition.from_state.is_not(None),
    )
    .order_by(CaseTransition.id)
)


def pending_returns(plans: Sequence[ActionPlan]) -> dict[int, CaseTransition]:
    """`pending_return` of each plan, by plan id, in one query (for lists of plans)."""
    waiting = {plan.id: plan for plan in plans if policy.state_of(plan).editable}
    if not waiting:
        return {}
    rows: dict[int, list[CaseTransition]] = {}
    for row in db.session.scalars(_PLANS_HISTORY, {"plan_ids": list(waiting)}):
        rows.setdefault(row.subject_id, []).append(row)
    definitions: dict[tuple[str, int], WorkflowDefinition] = {}
    found = {
        plan_id: _last_return(plan, rows.get(plan_id, []), definitions)
        for plan_id, plan in waiting.items()
    }
    return {plan_id: row for plan_id, row in found.items() if row is not None}


# --- the next submission ---------------------------------------------------------------------


@dataclass
class FollowUp:
    """A comment that was open when the plan was returned: the editor's answers written
    since the return, and whether a reviewer has marked it resolved since."""

    comment: ReviewComment
    answers: list[ReviewReply] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return bool(self.answers)

    @property
    def resolved(self) -> bool:
        return self.comment.resolved_at is not None


@dataclass
class SinceReturn:
    """The return before the plan's latest submission, and its comments' follow-up."""

    returned: CaseTransition
    follow_ups: list[FollowUp]


def since_last_return(
    plan: ActionPlan, comments: Sequence[ReviewComment] | None = None
) -> SinceReturn | None:
    """For a plan submitted again after a return: that return, and each comment open at it
    (unresolved then) with the answers since and whether it is resolved now. None when the
    latest submission followed no return. `comments`: the plan's (`comments_of`), when the
    caller read them already (the review panel does)."""
    returned: CaseTransition | None = None
    resubmitted = False
    found: dict[tuple[str, int], WorkflowDefinition] = {}
    for row in plan.history:
        definition = _definition(plan, row, found)
        if is_return(definition, row.trigger, row.from_state):
            returned, resubmitted = row, False
        elif is_submission(definition, row.trigger, row.from_state):
            resubmitted = returned is not None
    if returned is None or not resubmitted:
        return None
    at = returned.created_at
    follow_ups = [
        FollowUp(
            comment,
            [r for r in comment.replies if r.created_at > at and is_answer(plan, r)],
        )
        for comment in (comments_of(plan.id) if comments is None else comments)
        if comment.created_at <= at and (comment.resolved_at is None or comment.resolved_at > at)
    ]
    return SinceReturn(returned, follow_ups)
