"""Who holds a role for a plan: the district's roles in its district, the other roles in the
district or the province above it (the same rule as acting on the plan)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import RoleAssignment, User
from ..engine import Grant, Scope, grant_covers
from ..extensions import db
from ..regions.models import Region


def holders_of(roles: Iterable[str], scope: Scope) -> list[User]:
    """Active users holding any of `roles` in `scope`, each once, in a stable order."""
    wanted = set(roles)
    if not wanted:
        return []
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Region, Region.id == RoleAssignment.region_id)
        .where(
            User.active.is_(True),
            RoleAssignment.role.in_(wanted),
            Region.code.in_((scope.region_code, scope.province_code)),
        )
        .options(selectinload(User.roles))
        .order_by(User.id)
    )
    users = db.session.scalars(query).unique()
    return [
        user
        for user in users
        if any(
            a.role in wanted and grant_covers(Grant(a.role, a.region.code), scope)
            for a in user.roles
        )
    ]
