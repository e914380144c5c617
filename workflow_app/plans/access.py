"""Who may see which plans: the same rule for a single plan page and for every list."""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select

from ..accounts.models import User
from ..engine import Grant, Role, RoleScope, Scope
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, covers, definition_of, definitions_of, roles
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
        if not covers(grant, scope):
            continue
        if grant.role != Role.PARTNER:
            return True
        if definition_of(plan).states[plan.state].published:
            return True
    return False


def _grant_condition(grant: Grant):
    """The plans a grant reaches, by the scope its role is declared with (as `covers`)."""
    reach = roles().scope_of(grant.role)
    if reach is None:
        return false()
    if reach == RoleScope.GLOBAL:
        condition = ActionPlan.id.isnot(None)
    elif reach == RoleScope.DISTRICT:
        condition = ActionPlan.region_id.in_(
            select(Region.id).where(Region.code == grant.region_code)
        )
    else:
        condition = ActionPlan.region_id.in_(
            select(Region.id).where(
                or_(
                    Region.code == grant.region_code,
                    Region.parent.has(Region.code == grant.region_code),
                )
            )
        )
    if grant.role == Role.PARTNER:
        condition = and_(condition, ActionPlan.state.in_(_published_states()))
    return condition


def visible_plans(user: User) -> Select[tuple[ActionPlan]]:
    """A SELECT of the plans `user` may see (filter and order it further as needed)."""
    conditions = [_grant_condition(grant) for grant in user.grants()]
    return select(ActionPlan).where(or_(*conditions) if conditions else false())
