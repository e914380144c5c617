"""Who holds a role for a plan: the district's roles in its district, the other roles in the
district or the province above it (the same rule as acting on the plan), and who acts for a
holder today through a delegation (Plt/Plh), since they do that holder's work."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select, union_all
from sqlalchemy.orm import aliased, lazyload

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
from .outbox import Recipient

_Holder = TypeVar("_Holder", bound=Recipient)


@cache
def holders_rows() -> Select[Any]:
    """The holders as plain rows, built once: every column of the user, then `role` and
    `code` (of the grant's region). The roles, the region codes and today are bound per call
    (`holders_params`). A caller may read them together with other rows (firing.py)."""
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
    users = User.__table__
    return (
        select(*users.c, grants.c.role.label("role"), Region.code.label("code"))
        .join_from(users, grants, grants.c.user_id == users.c.id)
        .join(Region, Region.id == grants.c.region_id)
        .where(users.c.active.is_(True), Region.code.in_(bindparam("codes", expanding=True)))
    )


@cache
def _holders_query() -> Select[tuple[User, str, str]]:
    """The holders as users: the users' roles are not read here (`covers` uses the query's
    own columns), so they are not loaded with them: a caller that reads them loads them then."""
    rows = holders_rows().subquery()
    user = aliased(User, rows)
    return select(user, rows.c.role, rows.c.code).order_by(rows.c.id).options(lazyload(user.roles))


def holders_params(roles: Iterable[str], scope: Scope) -> dict[str, Any]:
    """The values `holders_rows` binds."""
    return {
        "roles": sorted(set(roles)),
        "codes": [scope.region_code, scope.province_code],
        "today": wita_today(),
    }


def holders_among(found: Iterable[tuple[_Holder, str, str]], scope: Scope) -> list[_Holder]:
    """The users of `found` (user, role, region code; by user id) whose grant covers
    `scope`, each once. A user may be a User or a row of the outbox's RECIPIENT_COLUMNS."""
    holders: dict[int, _Holder] = {}
    for user, role, region_code in found:
        if covers(Grant(role, region_code), scope):
            holders.setdefault(user.id, user)
    return list(holders.values())


def holders_of(roles: Iterable[str], scope: Scope) -> list[User]:
    """Active users holding any of `roles` in `scope` themselves or acting today for someone
    who does, each once, in a stable order (by user id). One query."""
    wanted = set(roles)
    if not wanted:
        return []
    found = db.session.execute(_holders_query(), holders_params(wanted, scope))
    return holders_among(found, scope)
