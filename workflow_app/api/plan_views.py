"""/api/v1/plans: list, detail, history, available transitions, fire a transition."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..plans import operations
from ..plans.access import visible_plans
from ..plans.models import ActionPlan
from ..regions.models import Region
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint
from .firing import fire_transition

TAG = "plans"


@endpoint(
    "GET",
    "/plans",
    summary="The plans the caller may see, oldest first, a page at a time.",
    tag=TAG,
    query=s.PlanQuery,
    response=s.PlanList,
    errors=(400, 401),
)
def list_plans(query: s.PlanQuery) -> s.PlanList:
    selection = visible_plans(api_user())
    if query.region:
        selection = selection.where(ActionPlan.region.has(Region.code == query.region))
    if query.state:
        selection = selection.where(ActionPlan.state == query.state)
    if query.year:
        selection = selection.where(
            ActionPlan.period_start <= query.year, ActionPlan.period_end >= query.year
        )
    total = db.session.scalar(select(func.count()).select_from(selection.subquery())) or 0
    page = (
        selection.options(joinedload(ActionPlan.region).joinedload(Region.parent))
        .order_by(ActionPlan.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    plans = db.session.scalars(page).unique()
    return s.PlanList(
        items=[serialize.plan_summary(p) for p in plans],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@endpoint(
    "GET",
    "/plans/<int:plan_id>",
    summary="A plan with its challenges, indicators, activities and the caller's actions.",
    tag=TAG,
    response=s.PlanDetail,
    errors=(401, 404),
)
def plan_detail(plan_id: int) -> s.PlanDetail:
    user = api_user()
    return serialize.plan_detail(user, operations.load_visible_plan(user, plan_id))


@endpoint(
    "GET",
    "/plans/<int:plan_id>/history",
    summary="The plan's own history (its reports' steps are on each report).",
    tag=TAG,
    response=s.History,
    errors=(401, 404),
)
def plan_history(plan_id: int) -> s.History:
    plan = operations.load_visible_plan(api_user(), plan_id)
    return s.History(items=[serialize.history_entry(row) for row in plan.history])


@endpoint(
    "GET",
    "/plans/<int:plan_id>/transitions",
    summary="The actions the caller may take on the plan now.",
    tag=TAG,
    response=s.TransitionOptions,
    errors=(401, 404),
)
def plan_transitions(plan_id: int) -> s.TransitionOptions:
    user = api_user()
    plan = operations.load_visible_plan(user, plan_id)
    return s.TransitionOptions(items=serialize.transitions(user, plan))


@endpoint(
    "POST",
    "/plans/<int:plan_id>/transitions",
    summary="Fire an action on the plan, on the version the caller read (409 stale if not).",
    tag=TAG,
    body=s.TransitionRequest,
    response=s.TransitionResult,
    errors=(400, 401, 403, 404, 409, 415),
)
def fire_plan_transition(plan_id: int, body: s.TransitionRequest) -> s.TransitionResult:
    return fire_transition(operations.load_visible_plan, operations.transition, plan_id, body)
