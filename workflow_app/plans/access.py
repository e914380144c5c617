"""Who may see which plans: the same rule for a single plan page and for every list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..accounts.models import User
from ..engine import Scope
from ..extensions import db
from ..policy import region_scope
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, covers, definition_of
from .case_queries import state_names
from .models import PLAN_KIND_NAME, ActionPlan, LivePlanYear


def scope_of(plan: ActionPlan) -> Scope:
    return region_scope(plan.region)


# --- who creates plans --------------------------------------------------------------------


def creator_role() -> str:
    """The role that creates plans (the district drafter in the shipped definition)."""
    return policy.creator_role(PLAN_KIND_NAME)


def may_create_in(user: User, region: Region) -> bool:
    """Whether `user` holds, or acts for (Plt/Plh), the creator role where `region` is."""
    return policy.may_create(user, PLAN_KIND_NAME, region_scope(region))


def _creation_region_rows(user: User, *columns: Any) -> list[tuple[Region, tuple[Any, ...]]]:
    """The regions `user` may create a plan in (by code), each with `columns` (of the same
    statement): where a grant of the creator role reaches, by the scope that role is declared
    with."""
    creator = creator_role()
    grants = [g for g in user.grants() if g.role == creator]
    if not grants:
        return []
    rows = db.session.execute(
        select(Region, *columns).options(joinedload(Region.parent)).order_by(Region.code)
    )
    return [
        (row[0], row[1:]) for row in rows if any(covers(g, region_scope(row[0])) for g in grants)
    ]


def creation_regions(user: User) -> list[Region]:
    """The regions `user` may create a plan in (by code)."""
    return [region for region, _ in _creation_region_rows(user)]


def can_create_plan(user: User) -> bool:
    """Whether `user` may create a plan anywhere (the plans list offers "New plan")."""
    return bool(user.is_authenticated) and bool(creation_regions(user))


def regions_without_a_plan(user: User) -> list[Region]:
    """The regions where `user` may create a plan and none is live (every plan there, if any,
    is in a final state): My tasks offers to create one. One statement: whether a region is
    held comes with it (it was a second query on every drafter's page)."""
    held = exists().where(LivePlanYear.region_id == Region.id)
    return [region for region, (taken,) in _creation_region_rows(user, held) if not taken]


def published_states(workflow: str) -> set[str]:
    """The states of `workflow` (any loaded version) that partners (mitra) may see."""
    return state_names(workflow, lambda state: state.published)


def can_view(user: User, plan: ActionPlan) -> bool:
    return policy.sees_in_region(
        user, plan.region, definition_of(plan).states[plan.state].published
    )


def visible_plans(user: User) -> Select[tuple[ActionPlan]]:
    """A SELECT of the plans `user` may see (filter and order it further as needed)."""
    return policy.visible_in_regions(user, ActionPlan, published_states(PLAN_WORKFLOW))
