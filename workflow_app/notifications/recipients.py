"""Who holds a role for a plan: the district's roles in its district, the other roles in the
district or the province above it (the same rule as acting on the plan), and who acts for a
holder today through a delegation (Plt/Plh), since they do that holder's work."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, union_all

from ..accounts.models import (
    Delegation,
    RoleAssignment,
    User,
    active_on,
    delegator_holds_role,
    wita_today,
)
from ..engine import Grant, Scope
from ..extensions import db
from ..regions.models import Region
from ..workflows import covers


def holders_of(roles: Iterable[str], scope: Scope) -> list[User]:
    """Active users holding any of `roles` in `scope` themselves or acting today for someone
    who does, each once, in a stable order (by user id). One query (and the users' roles)."""
    wanted = set(roles)
    if not wanted:
        return []
    own = select(
        RoleAssignment.user_id.label("user_id"),
        RoleAssignment.role.label("role"),
        RoleAssignment.region_id.label("region_id"),
    ).where(RoleAssignment.role.in_(wanted))
    # The rule of `User.grants()`: in force today (WITA), not ended early, and the delegator
    # still holding the role.
    acting = select(Delegation.delegate_id, Delegation.role, Delegation.region_id).where(
        Delegation.role.in_(wanted), active_on(wita_today()), delegator_holds_role()
    )
    grants = union_all(own, acting).subquery()
    query = (
        select(User, grants.c.role, Region.code)
        .join(grants, grants.c.user_id == User.id)
        .join(Region, Region.id == grants.c.region_id)
        .where(User.active.is_(True), Region.code.in_((scope.region_code, scope.province_code)))
        .order_by(User.id)
    )
    found: dict[int, User] = {}
    for user, role, region_code in db.session.execute(query):
        if covers(Grant(role, region_code), scope):
            found.setdefault(user.id, user)
    return list(found.values())
