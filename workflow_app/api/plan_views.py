"""/api/v1/plans: the list with its filters; a plan's detail, history, actions and firing one
are those of every kind of case (case_views.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..extensions import db
from ..plans.models import PLAN_KIND_NAME, ActionPlan
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW
from . import schemas as s
from . import serialize
from .auth import api_user
from .blueprint import endpoint
from .case_views import serve
from .vocabulary import check_state_filter


@endpoint(
    "GET",
    "/plans",
    summary="The plans the caller may see, oldest first, a page at a time.",
    tag="plans",
    query=s.PlanQuery,
    response=s.PlanList,
    errors=(400, 401),
)
def list_plans(query: s.PlanQuery) -> s.PlanList:
    check_state_filter(PLAN_WORKFLOW, query.state)
    selection = policy.visible(api_user(), PLAN_KIND_NAME)
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


serve(
    kind=PLAN_KIND_NAME,
    response=s.PlanDetail,
    detail=serialize.plan_detail,
    summary="A plan with its challenges, indicators, activities and the caller's actions.",
    history="The plan's own history (its reports' steps are on each report).",
    actions="The actions the caller may take on the plan now.",
)
