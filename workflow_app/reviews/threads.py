"""The one door for a review comment's thread: replies, and marking the comment resolved.

Who may do what follows the definition, not names: the owner of an `editable` state (the
drafter, or whoever acts for them) answers while the plan is with them; the owner of a state
tagged `review` who may comment now (operations.commenting_grant) answers too; and a comment
is marked resolved (or open again) by the reviewer of the stage that wrote it, while the plan
is at that stage. Resolving is the reviewer's word, so open comments never block a
submission: the drafter cannot close them, only answer them (see checklist_notes).
"""

from __future__ import annotations

from sqlalchemy import select

from .. import policy
from ..accounts.models import User
from ..engine import Grant, NotAllowedFromState, OutOfScope, RoleNotAllowed
from ..extensions import db
from ..models_base import utcnow
from ..plans.models import ActionPlan
from ..workflows import definition_of, definitions_of
from .models import ReviewComment, ReviewReply
from .operations import comment_text, commenting_grant, reviewer_roles


def load_comment(plan: ActionPlan, comment_id: int) -> ReviewComment:
    """The comment `comment_id` of `plan`; "not found" for a comment of any other plan."""
    comment = db.session.get(ReviewComment, comment_id)
    if comment is None or comment.plan_id != plan.id:
        raise OutOfScope("comment not found")
    return comment


def open_comments(plan: ActionPlan) -> list[ReviewComment]:
    """The plan's comments no reviewer has marked resolved, oldest first."""
    query = (
        select(ReviewComment)
        .where(ReviewComment.plan_id == plan.id, ReviewComment.resolved_at.is_(None))
        .order_by(ReviewComment.created_at, ReviewComment.id)
    )
    return list(db.session.scalars(query))


# --- replies ----------------------------------------------------------------------------------


def replying_grant(actor: User, plan: ActionPlan) -> Grant | None:
    """The grant `actor` answers under now: the owner of the plan's editable state (the
    plan is with the drafter), else the reviewer of its current stage."""
    state = policy.state_of(plan)
    if state.editable:
        grant = policy.grant_for(actor, [state.owner], policy.scope_of(plan))
        if grant is not None:
            return grant
    return commenting_grant(actor, plan)


def can_reply(actor: User, plan: ActionPlan) -> bool:
    return policy.may_see(actor, plan) and replying_grant(actor, plan) is not None


def check_can_reply(actor: User, plan: ActionPlan) -> Grant:
    """404 when the plan is not visible; 409 for its editors and reviewers while it is not
    with them; 403 for everyone else."""
    if not policy.may_see(actor, plan):
        raise OutOfScope("plan not found")
    grant = replying_grant(actor, plan)
    if grant is not None:
        return grant
    parties = policy.editing_roles(plan) | reviewer_roles(plan)
    if policy.holds(actor, parties, policy.scope_of(plan)):
        raise NotAllowedFromState(f"replies are not possible in state {plan.state!r}")
    raise RoleNotAllowed("only the plan's editor or the reviewer of its current stage may reply")


def add_reply(actor: User, plan: ActionPlan, comment: ReviewComment, body: str) -> ReviewReply:
    """Store `actor`'s answer in the thread of `comment` (a comment of `plan`)."""
    grant = check_can_reply(actor, plan)
    if comment.plan_id != plan.id:
        raise OutOfScope("comment not found")
    reply = ReviewReply(
        comment_id=comment.id,
        author_id=actor.id,
        acting_for_id=grant.acting_for,
        role=grant.role,
        body=comment_text(body),
        created_at=utcnow(),
        state=plan.state,
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def is_answer(plan: ActionPlan, reply: ReviewReply) -> bool:
    """Whether `reply` was written by the plan's editor (an answer to the reviewer)."""
    return reply.role in policy.editing_roles(plan)


# --- resolving ------------------------------------------------------------------------------


def stage_role(plan: ActionPlan, comment: ReviewComment) -> str | None:
    """The reviewer role of the stage that wrote `comment` (the owner of the state it was
    written in, in the plan's version or, after a migration, any version that has it)."""
    definitions = [definition_of(plan), *definitions_of(plan.workflow_name)]
    state = next((d.states[comment.state] for d in definitions if comment.state in d.states), None)
    return state.owner if state is not None else None


def resolving_grant(actor: User, plan: ActionPlan, comment: ReviewComment) -> Grant | None:
    """The grant through which `actor` marks `comment` resolved now, if any."""
    grant = commenting_grant(actor, plan)
    role = stage_role(plan, comment)
    if grant is None or (role is not None and grant.role != role):
        return None
    return grant


def can_resolve(actor: User, plan: ActionPlan, comment: ReviewComment) -> bool:
    return policy.may_see(actor, plan) and resolving_grant(actor, plan, comment) is not None


def check_can_resolve(actor: User, plan: ActionPlan, comment: ReviewComment) -> None:
    """404 when the plan is not visible; 409 for the comment's reviewer while the plan is
    not at their stage; 403 for everyone else (other reviewers included)."""
    if not policy.may_see(actor, plan):
        raise OutOfScope("plan not found")
    if comment.plan_id != plan.id:
        raise OutOfScope("comment not found")
    if resolving_grant(actor, plan, comment) is not None:
        return
    role = stage_role(plan, comment)
    wanted = {role} if role is not None else reviewer_roles(plan)
    if policy.holds(actor, wanted, policy.scope_of(plan)):
        raise NotAllowedFromState(f"comments cannot be resolved in state {plan.state!r}")
    raise RoleNotAllowed("only the reviewer of the comment's stage may mark it resolved")


def set_resolved(
    actor: User, plan: ActionPlan, comment: ReviewComment, resolved: bool
) -> ReviewComment:
    """Mark `comment` resolved (or open again). Doing it twice changes nothing more, so two
    reviewers clicking at once end with the same answer."""
    check_can_resolve(actor, plan, comment)
    if resolved and comment.resolved_at is None:
        comment.resolved_at = utcnow()
        comment.resolved_by_id = actor.id
    elif not resolved and comment.resolved_at is not None:
        comment.resolved_at = None
        comment.resolved_by_id = None
    db.session.flush()
    return comment
