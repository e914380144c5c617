"""Who may see which plans: the same rule for a single plan page and for every list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import aliased, joinedload

from .. import policy
from ..accounts.models import User
from ..engine import Scope
from ..extensions import db
from ..policy import region_scope
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, covers, definition_of
from .case_queries import core_rows, state_names
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


def creation_regions(user: User) -> list[Region]:
    """The regions `user` may create a plan in (by code): where a grant of the creator role
    reaches, by the scope that role is declared with."""
    creator = creator_role()
    grants = [g for g in user.grants() if g.role == creator]
    if not grants:
        return []
    regions = db.session.scalars(
        select(Region).options(joinedload(Region.parent)).order_by(Region.code)
    )
    return [region for region in regions if any(covers(g, region_scope(region)) for g in grants)]


def can_create_plan(user: User) -> bool:
    """Whether `user` may create a plan anywhere (the plans list offers "New plan")."""
    return bool(user.is_authenticated) and bool(creation_regions(user))


@dataclass(frozen=True, slots=True)
class OfferedRegion:
    """What My tasks shows of a region where a plan may be created."""

    code: str
    name: str


# Built once (it depends on no user): each region's code, name and province, and whether a
# plan there is live.
_PROVINCE = aliased(Region)
_REGIONS_AND_HELD = (
    select(
        Region.code,
        Region.name,
        _PROVINCE.code,
        exists().where(LivePlanYear.region_id == Region.id),
    )
    .outerjoin(_PROVINCE, Region.parent_id == _PROVINCE.id)
    .order_by(Region.code)
)


def regions_without_a_plan(user: User) -> list[OfferedRegion]:
    """The regions where `user` may create a plan and none is live (every plan there, if any,
    is in a final state), by code: My tasks offers to create one. One statement of plain
    columns, whether a region is held with it (a Region object and its parent per region
    cost more than the rest of the offer)."""
    creator = creator_role()
    grants = [g for g in user.grants() if g.role == creator]
    if not grants:
        return []
    return [
        OfferedRegion(code, name)
        for code, name, province, held in core_rows(_REGIONS_AND_HELD)
        if not held and any(covers(g, Scope(code, province or code)) for g in grants)
    ]


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
