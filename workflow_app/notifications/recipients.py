"""Who holds a role for a plan: the district's roles in its district, the other roles in the
district or the province above it (the same rule as acting on the plan), and who acts for a
holder today through a delegation (Plt/Plh), since they do that holder's work."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import Select, bindparam, select, union_all
from sqlalchemy.orm import lazyload

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


@cache
def _holders_query() -> Select[tuple[User, str, str]]:
    """The holders query, built once: the roles, the region codes and today are bound per
    call. The users' roles are not read here (`covers` uses the query's own columns), so
    they are not loaded with them: a caller that reads them loads them then."""
    roles = bindparam("roles", expanding=True)
    own = select(
        RoleAssignment.user_id.label("user_id"),
        RoleAssignment.role.label("role"),
        RoleAssignment.region_id.label("region_id"),
    ).where(RoleAssignment.role.in_(roles))
    # The rule of `User.grants()`: in force today (WITA), not ended early, and the delegator
    # still holding the role.
    acting = select(Delegation.delegate_id, Delegation.role, Delegation.region_id).where(
        Delegation.role.in_(roles),
        active_on(bindparam("today", type_=Delegation.starts_on.type)),  # type: ignore[arg-type]
        delegator_holds_role(),
    )
    grants = union_all(own, acting).subquery()
    return (
        select(User, grants.c.role, Region.code)
        .join(grants, grants.c.user_id == User.id)
        .join(Region, Region.id == grants.c.region_id)
        .where(User.active.is_(True), Region.code.in_(bindparam("codes", expanding=True)))
        .order_by(User.id)
        .options(lazyload(User.roles))
    )


def holders_of(roles: Iterable[str], scope: Scope) -> list[User]:
    """Active users holding any of `roles` in `scope` themselves or acting today for someone
    who does, each once, in a stable order (by user id). One query."""
    wanted = set(roles)
    if not wanted:
        return []
    params = {
        "roles": sorted(wanted),
        "codes": [scope.region_code, scope.province_code],
        "today": wita_today(),
    }
    found: dict[int, User] = {}
    for user, role, region_code in db.session.execute(_holders_query(), params):
        if covers(Grant(role, region_code), scope):
            found.setdefault(user.id, user)
    return list(found.values())
