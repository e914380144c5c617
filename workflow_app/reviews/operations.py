"""The one door for review comments: who may write one, on what, and what is stored."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select

from .. import policy
from ..accounts.models import User
from ..engine import (
    Grant,
    InvalidInput,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
)
from ..extensions import db
from ..history import CaseTransition
from ..models_base import utcnow
from ..plans.models import ActionPlan
from ..workflows import definition_of, definitions_of
from .models import ITEM_TYPES, ReviewComment

BODY_MAX_LENGTH = 2000
# A plan is under review in the states tagged `review`; the role owning the state may comment.
REVIEW_TAG = "review"


def reviewer_roles(plan: ActionPlan) -> set[str]:
    """The owners of the states tagged `review` in the plan's definition (the reviewers)."""
    definition = definition_of(plan)
    return {definition.states[name].owner for name in definition.states_tagged(REVIEW_TAG)}


def commenting_grant(actor: User, plan: ActionPlan) -> Grant | None:
    """The grant letting `actor` comment on `plan` now, if any."""
    return policy.reviewing_grant(actor, plan, REVIEW_TAG)


def can_comment(actor: User, plan: ActionPlan) -> bool:
    return policy.may_see(actor, plan) and commenting_grant(actor, plan) is not None


def check_can_comment(actor: User, plan: ActionPlan) -> None:
    """404 when the plan is not visible; 409 for a reviewer of the plan while it is not in
    their reviewing state (the same answer as an action at the wrong moment); 403 otherwise."""
    if not policy.may_see(actor, plan):
        raise OutOfScope("plan not found")
    if commenting_grant(actor, plan) is not None:
        return
    if policy.holds(actor, reviewer_roles(plan), policy.scope_of(plan)):
        raise NotAllowedFromState(f"comments are not possible in state {plan.state!r}")
    raise RoleNotAllowed("only the reviewer of the plan's current stage may comment")


def submission_triggers(plan: ActionPlan) -> frozenset[str]:
    """The triggers that keep a `snapshot` of the plan's contents, in any version of its
    workflow: its submissions."""
    return frozenset(
        t.trigger
        for definition in definitions_of(plan.workflow_name)
        for t in definition.transitions_where(snapshot=True)
    )


def submission_count(plan: ActionPlan) -> int:
    """How many times the plan was submitted: the number of the current review round.

    Counted from `plan.history` when it is loaded (the plan page loads it: one statement less
    per page), else with a count(*) rather than loading every row of it."""
    submissions = submission_triggers(plan)
    if "history" not in inspect(plan).unloaded:
        return sum(1 for row in plan.history if row.trigger in submissions)
    query = (
        select(func.count())
        .select_from(CaseTransition)
        .where(
            CaseTransition.subject_of(plan),  # a quarterly report's submissions are not
            CaseTransition.trigger.in_(submissions),
        )
    )
    return int(db.session.scalar(query) or 0)


@dataclass(frozen=True)
class Item:
    """What a comment is about: its type, row id (None for the plan) and name."""

    item_type: str
    item_id: int | None
    label: str


def find_item(plan: ActionPlan, item_type: str, item_id: int | None) -> Item | None:
    """The item of `plan` a comment would concern, or None when there is no such item."""
    if item_type == "plan":
        return Item("plan", None, plan.title) if item_id is None else None
    rows = {
        "challenge": (plan.challenges, lambda row: row.description),
        "indicator": (plan.indicators, lambda row: row.name),
        "activity": (plan.activities, lambda row: row.title),
    }.get(item_type)
    if rows is None or item_id is None:
        return None
    found = next((row for row in rows[0] if row.id == item_id), None)
    return Item(item_type, found.id, rows[1](found)) if found is not None else None


def comment_text(body: str | None) -> str:
    """A review comment's text, trimmed, or InvalidInput saying what is wrong with it."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput(_("Please write a comment."))
    if len(text) > BODY_MAX_LENGTH:
        raise InvalidInput(
            _("A comment can be at most %(max)d characters long.", max=BODY_MAX_LENGTH)
        )
    return text


def add_comment(
    actor: User, plan: ActionPlan, item_type: str, item_id: int | None, body: str
) -> ReviewComment:
    """Store a reviewer's comment on the plan (`item_type` "plan") or one of its items."""
    check_can_comment(actor, plan)
    if item_type not in ITEM_TYPES:
        raise InvalidInput(_("The item commented on is not part of this plan."))
    item = find_item(plan, item_type, item_id)
    if item is None:
        raise InvalidInput(_("The item commented on is not part of this plan."))
    text = comment_text(body)
    comment = ReviewComment(
        plan_id=plan.id,
        item_type=item.item_type,
        item_id=item.item_id,
        item_label=item.label,
        author_id=actor.id,
        body=text,
        created_at=utcnow(),
        state=plan.state,
        round=submission_count(plan),
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def comments_of(plan_id: int) -> list[ReviewComment]:
    """Every comment on the plan, oldest first (so the newest is shown last)."""
    query = (
        select(ReviewComment)
        .where(ReviewComment.plan_id == plan_id)
        .order_by(ReviewComment.created_at, ReviewComment.id)
    )
    return list(db.session.scalars(query))
