"""Acting officials (Plt/Plh): giving a role one holds to another user for a date range, and
ending such a delegation early. Operations flush and never commit; callers wrap them in
`unit_of_work()`.

Grants are computed from the dates (`User.grants()`), so a delegation starts and ends by
itself: nothing has to run on its first or last day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from ..engine import InvalidInput, OutOfScope, Role, RoleNotAllowed
from ..extensions import db
from ..models_base import utcnow
from ..regions.models import Region
from ..workflows import roles
from .models import Delegation, RoleAssignment, User, wita_today


def delegable_roles() -> frozenset[str]:
    """The roles the definitions declare `delegable` (the workflow's officials).
    Administration and partners' read access are not delegated: an administrator assigns them."""
    return frozenset(role.name for role in roles().delegable())


NOTE_LENGTH = 500


class DelegationRejected(InvalidInput):
    """The delegation asked for is not valid; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for messages in errors.values() for m in messages))


@dataclass
class _Problems:
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def is_admin(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def holds(user: User, role: str, region: Region) -> bool:
    """The user holds `role` in `region` in their own right (not by delegation)."""
    return any(a.role == role and a.region_id == region.id for a in user.roles)


def delegable_assignments(actor: User) -> list[RoleAssignment]:
    """The role assignments `actor` may delegate: their own, or everyone's for an admin."""
    query = (
        select(RoleAssignment)
        .join(User, User.id == RoleAssignment.user_id)
        .join(Region, Region.id == RoleAssignment.region_id)
        .where(RoleAssignment.role.in_(delegable_roles()), User.active.is_(True))
        .options(joinedload(RoleAssignment.user), joinedload(RoleAssignment.region))
        .order_by(Region.code, RoleAssignment.role, User.username)
    )
    if not is_admin(actor):
        query = query.where(RoleAssignment.user_id == actor.id)
    return list(db.session.scalars(query))


def visible_delegations(actor: User) -> Select[tuple[Delegation]]:
    """Delegations from or to `actor`; all of them for an admin. Newest first."""
    query = select(Delegation).options(
        joinedload(Delegation.delegator),
        joinedload(Delegation.delegate),
        joinedload(Delegation.region),
    )
    if not is_admin(actor):
        query = query.where(
            or_(Delegation.delegator_id == actor.id, Delegation.delegate_id == actor.id)
        )
    return query.order_by(Delegation.starts_on.desc(), Delegation.id.desc())


def _overlapping(delegator: User, role: str, region: Region, starts: date, ends: date) -> bool:
    """Another delegation of the same role in force for part of the range: one acting
    official at a time."""
    query = select(Delegation.id).where(
        Delegation.delegator_id == delegator.id,
        Delegation.role == role,
        Delegation.region_id == region.id,
        Delegation.ended_at.is_(None),
        Delegation.starts_on <= ends,
        Delegation.ends_on >= starts,
    )
    return db.session.scalar(query.limit(1)) is not None


def create_delegation(
    actor: User,
    *,
    delegator: User,
    delegate: User | None,
    role: str,
    region: Region,
    starts_on: date | None,
    ends_on: date | None,
    note: str = "",
) -> Delegation:
    """Let `delegate` act as `delegator` in `role` in `region` from `starts_on` to `ends_on`
    (WITA dates, both included). Raises DelegationRejected with the problem of each field,
    RoleNotAllowed when `actor` may not delegate for `delegator`."""
    if actor.id != delegator.id and not is_admin(actor):
        raise RoleNotAllowed("only the role holder or an administrator may delegate it")
    problems = _Problems()
    if role not in delegable_roles() or not holds(delegator, role, region):
        problems.add("assignment", _("The delegator does not hold this role in this region."))
    if delegate is None:
        problems.add("delegate", _("No active user has this username."))
    elif delegate.id == delegator.id:
        problems.add("delegate", _("A role cannot be delegated to its own holder."))
    elif not delegate.active:
        problems.add("delegate", _("No active user has this username."))
    elif holds(delegate, role, region):
        problems.add("delegate", _("This user already holds the role in this region."))
    if starts_on is None:
        problems.add("starts_on", _("This field is required."))
    if ends_on is None:
        problems.add("ends_on", _("This field is required."))
    elif starts_on is not None and ends_on < starts_on:
        problems.add("ends_on", _("The last day cannot be before the first day."))
    elif ends_on < wita_today():
        problems.add("ends_on", _("The last day has already passed."))
    if len(note or "") > NOTE_LENGTH:
        problems.add("note", _("The note is too long."))
    if (
        not problems.errors
        and starts_on is not None
        and ends_on is not None
        and _overlapping(delegator, role, region, starts_on, ends_on)
    ):
        problems.add("starts_on", _("This role is already delegated for part of these dates."))
    if problems.errors:
        raise DelegationRejected(problems.errors)
    assert delegate is not None and starts_on is not None and ends_on is not None
    delegation = Delegation(
        delegator_id=delegator.id,
        delegate_id=delegate.id,
        role=role,
        region_id=region.id,
        starts_on=starts_on,
        ends_on=ends_on,
        note=(note or "").strip(),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(delegation)
    db.session.flush()
    # The delegate's loaded delegations are out of date now.
    db.session.expire(delegate, ["acting_delegations"])
    return delegation


def may_end(actor: User, delegation: Delegation) -> bool:
    """The delegator, the delegate (declining) or an admin may end a delegation."""
    return is_admin(actor) or actor.id in (delegation.delegator_id, delegation.delegate_id)


def load_visible_delegation(actor: User, delegation_id: int) -> Delegation:
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or not may_end(actor, delegation):
        raise OutOfScope("delegation not found")
    return delegation


def end_delegation(actor: User, delegation: Delegation) -> Delegation:
    """End `delegation` now: from this moment the delegate no longer acts under it."""
    if not may_end(actor, delegation):
        raise OutOfScope("delegation not found")
    if delegation.is_over_on(wita_today()):
        raise DelegationRejected({"delegation": [_("This delegation has already ended.")]})
    delegation.ended_at = utcnow()
    delegation.ended_by_id = actor.id
    db.session.flush()
    delegate = db.session.get(User, delegation.delegate_id)
    if delegate is not None:
        db.session.expire(delegate, ["acting_delegations"])
    return delegation
