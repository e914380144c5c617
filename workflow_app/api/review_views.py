"""/api/v1 review work, through the same operations as the web's review panel
(reviews/operations.py, reviews/threads.py, reviews/returns.py, cases/comments.py):

- a plan's comments as threads: GET/POST /plans/{plan_id}/comments, GET one thread, POST
  /comments/{comment_id}/replies, …/resolve and …/reopen;
- GET /plans/{plan_id}/resubmission-diff: the changes between the two latest submissions,
  the latest return, and what became of the comments open at it;
- a declared case's comments (kinds with a state tagged `review`; these have no threads):
  GET/POST /cases/{kind}/{case_id}/comments.

Seeing goes by the one access policy (404 not_found); who may comment, answer or resolve is
the operations' rule (403 forbidden, 409 invalid_state while the case is not at the caller's
stage). Progress reports take no review comments on the web, so none here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, url_for
from sqlalchemy import func, select

from ..accounts.models import User
from ..cases import comments as case_comments
from ..cases.models import CaseComment, DeclaredCase
from ..engine import OutOfScope
from ..extensions import db
from ..history import CaseTransition
from ..plans.models import PLAN_KIND_NAME, ActionPlan
from ..reviews import operations, threads
from ..reviews.diff import Change, diff
from ..reviews.models import ReviewComment, ReviewReply
from ..reviews.returns import FollowUp, pending_return, since_last_return
from ..reviews.snapshots import decimal_text, last_two_snapshots
from ..reviews.views import _answered, _item_rows, _place
from ..unit_of_work import unit_of_work
from ..workflows import definition_of, definitions_of, roles
from . import review_schemas as r
from . import schemas as s
from .auth import api_user
from .blueprint import created, endpoint
from .case_views import READ_ERRORS, WRITE_ERRORS, find
from .declared_views import CASE_RULE, _declared
from .declared_views import TAG as CASES_TAG
from .errors import ApiError

PLAN_RULE = "/plans/<int:plan_id>"
COMMENT_RULE = "/comments/<int:comment_id>"
TAG = "reviews"


def _user(user: User | None) -> s.UserRef | None:
    return s.UserRef(username=user.username, full_name=user.full_name) if user else None


def _role_label(role: str | None) -> s.Label | None:
    if role is None:
        return None
    return s.Label(id=roles().label(role, "id"), en=roles().label(role, "en"))


def _state_label(case: Any, state: str) -> s.Label | None:
    """A state's label in the case's version, else in any version that has it."""
    for definition in [definition_of(case), *definitions_of(case.workflow_name)]:
        if state in definition.states:
            text = definition.states[state].label
            return s.Label(id=text.id, en=text.en)
    return None


# --- plans: threads ---------------------------------------------------------------------------


@dataclass
class _Context:
    """What serializing a plan's threads for the caller needs, read once per request."""

    user: User
    plan: ActionPlan
    round: int
    rows: dict[str, list[tuple[int, str]]]

    @classmethod
    def of(cls, user: User, plan: ActionPlan) -> _Context:
        return cls(user, plan, operations.submission_count(plan), _item_rows(plan))


def _reply(plan: ActionPlan, reply: ReviewReply) -> r.ReplyOut:
    return r.ReplyOut(
        id=reply.id,
        text=reply.body,
        author=_user(reply.author),
        acting_for=_user(reply.acting_for),
        role=reply.role,
        role_label=_role_label(reply.role),
        state=reply.state,
        created_at=reply.created_at,
        answer=threads.is_answer(plan, reply),
    )


def _thread(context: _Context, comment: ReviewComment) -> r.CommentThread:
    plan = context.plan
    place = _place(comment, context.rows)
    role = threads.stage_role(plan, comment)
    return r.CommentThread(
        id=comment.id,
        plan_id=plan.id,
        item=r.CommentItem(
            type=comment.item_type,  # type: ignore[arg-type]
            id=comment.item_id,
            label=comment.item_label,
            current_id=place[1] if place is not None else None,
            present=place is not None,
        ),
        text=comment.body,
        author=_user(comment.author),
        role=role,
        role_label=_role_label(role),
        stage=comment.state,
        stage_label=_state_label(plan, comment.state),
        round=comment.round,
        previous_round=comment.round < context.round,
        created_at=comment.created_at,
        replies=[_reply(plan, reply) for reply in comment.replies],
        open=comment.is_open,
        resolved_by=_user(comment.resolved_by),
        resolved_at=comment.resolved_at,
        answered=_answered(plan, comment),
        can_resolve=threads.can_resolve(context.user, plan, comment),
    )


def _plan(plan_id: int) -> tuple[User, ActionPlan]:
    return find(PLAN_KIND_NAME, plan_id)


def _comment(comment_id: int) -> tuple[User, ActionPlan, ReviewComment]:
    """The caller, the comment and its plan, if they may see the plan (404 not_found, the
    same answer as for no such comment, if not)."""
    user = api_user()
    comment = db.session.get(ReviewComment, comment_id)
    if comment is None:
        raise ApiError(404, "not_found", "comment not found")
    try:
        _, plan = _plan(comment.plan_id)
    except OutOfScope:
        raise ApiError(404, "not_found", "comment not found") from None
    return user, plan, comment


def _thread_url(comment: ReviewComment) -> str:
    return url_for("api.plan_comment", plan_id=comment.plan_id, comment_id=comment.id)


@endpoint(
    "GET",
    PLAN_RULE + "/comments",
    summary="The plan's review comments as threads (replies, who resolved), oldest first, a "
    "page at a time; with whether the caller may comment or answer now.",
    tag=TAG,
    query=s.PageQuery,
    response=r.CommentList,
    errors=(400, *READ_ERRORS),
)
def plan_comments(plan_id: int, query: s.PageQuery) -> r.CommentList:
    user, plan = _plan(plan_id)
    every = operations.comments_of(plan.id)
    context = _Context.of(user, plan)
    page = every[query.offset : query.offset + query.limit]
    return r.CommentList(
        items=[_thread(context, comment) for comment in page],
        total=len(every),
        limit=query.limit,
        offset=query.offset,
        open=sum(1 for comment in every if comment.is_open),
        can_comment=operations.can_comment(user, plan),
        can_reply=threads.can_reply(user, plan),
    )


@endpoint(
    "GET",
    PLAN_RULE + "/comments/<int:comment_id>",
    summary="One review comment's thread (404 for a comment of another plan).",
    tag=TAG,
    response=r.CommentThread,
    errors=READ_ERRORS,
)
def plan_comment(plan_id: int, comment_id: int) -> r.CommentThread:
    user, plan = _plan(plan_id)
    comment = threads.load_comment(plan, comment_id)
    return _thread(_Context.of(user, plan), comment)


@endpoint(
    "POST",
    PLAN_RULE + "/comments",
    summary="A reviewer's comment on the plan or one of its items, while the plan is at the "
    "caller's review stage (409 invalid_state at another); 201 with the new thread.",
    tag=TAG,
    body=r.CommentRequest,
    response=r.CommentThread,
    errors=WRITE_ERRORS,
    status=201,
)
def add_plan_comment(plan_id: int, body: r.CommentRequest) -> Response:
    with unit_of_work():
        user, plan = _plan(plan_id)
        comment = operations.add_comment(user, plan, body.item_type, body.item_id, body.body)
    return created(_thread(_Context.of(user, plan), comment), _thread_url(comment))


@endpoint(
    "POST",
    COMMENT_RULE + "/replies",
    summary="Answer a comment's thread: the plan's editor while it is with them (a Plt/Plh "
    "for them), or the reviewer of its current stage; 201 with the thread.",
    tag=TAG,
    body=r.ReplyRequest,
    response=r.CommentThread,
    errors=WRITE_ERRORS,
    status=201,
)
def reply_to_comment(comment_id: int, body: r.ReplyRequest) -> Response:
    with unit_of_work():
        user, plan, comment = _comment(comment_id)
        threads.add_reply(user, plan, comment, body.body)
    return created(_thread(_Context.of(user, plan), comment), _thread_url(comment))


def _set_resolved(comment_id: int, resolved: bool) -> r.CommentThread:
    with unit_of_work():
        user, plan, comment = _comment(comment_id)
        threads.set_resolved(user, plan, comment, resolved)
    return _thread(_Context.of(user, plan), comment)


RESOLVE_ERRORS = (401, 403, 404, 409)


@endpoint(
    "POST",
    COMMENT_RULE + "/resolve",
    summary="Mark a comment resolved: the reviewer of the stage that wrote it, while the plan "
    "is at that stage. Doing it again changes nothing.",
    tag=TAG,
    response=r.CommentThread,
    errors=RESOLVE_ERRORS,
)
def resolve_comment(comment_id: int) -> r.CommentThread:
    return _set_resolved(comment_id, True)


@endpoint(
    "POST",
    COMMENT_RULE + "/reopen",
    summary="Mark a resolved comment open again (the same reviewer as for resolving).",
    tag=TAG,
    response=r.CommentThread,
    errors=RESOLVE_ERRORS,
)
def reopen_comment(comment_id: int) -> r.CommentThread:
    return _set_resolved(comment_id, False)


# --- plans: the resubmission diff -------------------------------------------------------------


def _diff_value(value: Any) -> str | int | None:
    """A snapshot value as the API shows it: decimals as exact text, never floats."""
    if value is None or isinstance(value, str | int):
        return value
    return decimal_text(value)


def _change(change: Change) -> r.ChangeOut:
    return r.ChangeOut(
        section=change.section,  # type: ignore[arg-type]
        kind=change.kind,  # type: ignore[arg-type]
        label=change.label,
        fields=[
            r.FieldChangeOut(
                field=f.field,
                before=_diff_value(f.old),
                after=_diff_value(f.new),
                year=f.year,
                source=f.source,
            )
            for f in change.fields
        ],
    )


def _return(row: CaseTransition, pending: bool) -> r.ReturnOut:
    return r.ReturnOut(
        history_id=row.id,
        at=row.created_at,
        trigger=row.trigger,
        from_state=row.from_state,
        to_state=row.to_state,
        actor=_user(row.actor),
        acting_for=_user(row.acting_for),
        role=row.role,
        role_label=_role_label(row.role),
        comment=row.comment,
        pending=pending,
    )


def _follow_up(context: _Context, follow_up: FollowUp) -> r.FollowUpOut:
    return r.FollowUpOut(
        comment=_thread(context, follow_up.comment),
        answers=[_reply(context.plan, reply) for reply in follow_up.answers],
        answered=follow_up.answered,
        resolved=follow_up.resolved,
    )


@endpoint(
    "GET",
    PLAN_RULE + "/resubmission-diff",
    summary="What changed between the plan's two latest submissions (sections and items "
    "added, removed or changed, with before and after), the latest return, and what became "
    "of the comments open at it (answered or not, resolved or open).",
    tag=TAG,
    response=r.ResubmissionDiff,
    errors=READ_ERRORS,
)
def resubmission_diff(plan_id: int) -> r.ResubmissionDiff:
    user, plan = _plan(plan_id)
    context = _Context.of(user, plan)
    pair = last_two_snapshots(plan.id)
    since = since_last_return(plan)
    waiting = pending_return(plan)
    returned = waiting or (since.returned if since is not None else None)
    return r.ResubmissionDiff(
        plan_id=plan.id,
        previous_submitted_at=pair[0].created_at if pair else None,
        latest_submitted_at=pair[1].created_at if pair else None,
        changes=(
            [_change(change) for change in diff(pair[0].data, pair[1].data)] if pair else None
        ),
        latest_return=_return(returned, waiting is not None) if returned is not None else None,
        follow_ups=(
            [_follow_up(context, item) for item in since.follow_ups] if since is not None else None
        ),
    )


# --- declared cases ---------------------------------------------------------------------------


def _case_comment(case: DeclaredCase, comment: CaseComment) -> r.CaseCommentOut:
    return r.CaseCommentOut(
        id=comment.id,
        case_id=case.id,
        field=comment.field,
        row=comment.row,
        label=comment.item_label,
        text=comment.body,
        author=_user(comment.author),
        stage=comment.state,
        stage_label=_state_label(case, comment.state),
        created_at=comment.created_at,
    )


def _case(kind: str, case_id: int) -> tuple[User, DeclaredCase]:
    _declared(kind)
    return find(kind, case_id)


@endpoint(
    "GET",
    CASE_RULE + "/comments",
    summary="The reviewers' comments on a declared case, oldest first, a page at a time.",
    tag=CASES_TAG,
    query=s.PageQuery,
    response=r.CaseCommentList,
    errors=(400, *READ_ERRORS),
)
def case_comments_list(kind: str, case_id: int, query: s.PageQuery) -> r.CaseCommentList:
    user, case = _case(kind, case_id)
    selection = select(CaseComment).where(CaseComment.case_id == case.id)
    total = db.session.scalar(select(func.count()).select_from(selection.subquery())) or 0
    page = selection.order_by(CaseComment.id).limit(query.limit).offset(query.offset)
    return r.CaseCommentList(
        items=[_case_comment(case, comment) for comment in db.session.scalars(page)],
        total=total,
        limit=query.limit,
        offset=query.offset,
        can_comment=case_comments.can_comment(user, case),
    )


@endpoint(
    "POST",
    CASE_RULE + "/comments",
    summary="A reviewer's comment on a declared case, one of its fields or a row of a table "
    "field, while the case is at the caller's review stage; 201 with the comment.",
    tag=CASES_TAG,
    body=r.CaseCommentRequest,
    response=r.CaseCommentOut,
    errors=WRITE_ERRORS,
    status=201,
)
def add_case_comment(kind: str, case_id: int, body: r.CaseCommentRequest) -> Response:
    with unit_of_work():
        user, case = _case(kind, case_id)
        comment = case_comments.add_comment(user, case, body.field, body.row, body.body)
    location = url_for("api.case_comments_list", kind=kind, case_id=case_id)
    return created(_case_comment(case, comment), location)
