"""Who may see which plans: the same rule for a single plan page and for every list."""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select

from ..accounts.models import User
from ..engine import Grant, Role, Scope, grant_covers
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, definition_of, definitions_of
from .models import ActionPlan


def scope_of(plan: ActionPlan) -> Scope:
    return Scope(region_code=plan.region.code, province_code=plan.region.province_code)


def _published_states() -> set[str]:
    return {
        name
        for definition in definitions_of(PLAN_WORKFLOW)
        for name, state in definition.states.items()
        if state.published
    }


def can_view(user: User, plan: ActionPlan) -> bool:
    scope = scope_of(plan)
    for grant in user.grants():
        if not grant_covers(grant, scope):
            continue
        if grant.role != Role.PARTNER:
            return True
        if definition_of(plan).states[plan.state].published:
            return True
    return False


def _grant_condition(grant: Grant):
    if grant.role == Role.ADMIN:
        condition = ActionPlan.id.isnot(None)
    else:
        region_codes = select(Region.id).where(
            or_(
                Region.code == grant.region_code,
                Region.parent.has(Region.code == grant.region_code),
            )
        )
        if grant.role in (Role.DISTRICT_DRAFTER, Role.DISTRICT_REVIEWER, Role.DISTRICT_HEAD):
            region_codes = select(Region.id).where(Region.code == grant.region_code)
        condition = ActionPlan.region_id.in_(region_codes)
    if grant.role == Role.PARTNER:
        condition = and_(condition, ActionPlan.state.in_(_published_states()))
    return condition


def visible_plans(user: User) -> Select[tuple[ActionPlan]]:
    """A SELECT of the plans `user` may see (filter and order it further as needed)."""
    conditions = [_grant_condition(grant) for grant in user.grants()]
    return select(ActionPlan).where(or_(*conditions) if conditions else false())
