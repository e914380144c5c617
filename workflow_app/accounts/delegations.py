"""Acting officials (Plt/Plh): giving a role one holds to another user for a date range, and
ending such a delegation early. Operations flush and never commit; callers wrap them in
`unit_of_work()`.

Grants are computed from the dates (`User.grants()`), so a delegation starts and ends by
itself: nothing has to run on its first or last day.

The rules of a delegation (issue 14): it goes to an active colleague who may act in that
office (`eligibility_problem`), starts no earlier than today (WITA), lasts at most
`DELEGATION_MAX_DAYS`, and a role has at most one acting official in a region at a time,
whoever of its holders appointed them (`_overlapping`, checked under the region's row lock so
that requests made at the same moment are checked one after the other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import joinedload

from ..audit.admin_log import Action, record_act
from ..engine import InvalidInput, OutOfScope, Role, RoleNotAllowed
from ..extensions import db
from ..models_base import utcnow
from ..regions.models import Region
from ..templating import long_date
from ..workflows import role_label, roles
from .models import Delegation, RoleAssignment, User, delegator_holds_role, wita_today
from .system import is_system_account


def delegable_roles() -> frozenset[str]:
    """The roles the definitions declare `delegable` (the workflow's officials).
    Administration and partners' read access are not delegated: an administrator assigns them."""
    return frozenset(role.name for role in roles().delegable())


NOTE_LENGTH = 500


def max_days() -> int:
    """The longest a delegation may last, both ends included (`DELEGATION_MAX_DAYS`)."""
    return int(current_app.config["DELEGATION_MAX_DAYS"])


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


def uses_delegations(user: User) -> bool:
    """Whether the Plt/Plh page is for `user`: an admin manages every delegation, a holder of a
    delegable role (in their own right or acting) hands it over or acts for a colleague. A
    partner holds none, so the menu does not offer the page."""
    delegable = delegable_roles()
    return is_admin(user) or any(grant.role in delegable for grant in user.grants())


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


def eligibility_problem(delegate: User, role: str, region: Region) -> str | None:
    """Why `delegate` may not act as `role` in `region`, or None when they may.

    An acting official (Plt/Plh) is a colleague from the same office. The app knows someone's
    office only from where they hold a role, and which roles are an official's only from the
    definitions: the roles they declare `delegable` (the workflow's officials). So the
    delegate must be an active person (not the built-in system account) who already holds
    such a role in the very region the delegated role is held in: the district for a
    district role, the province for a provincial one. A role held in another district, or in
    a district for a provincial role, does not count (that would hand one office's powers to
    another), nor do the platform roles: a partner only reads, an administrator manages the
    application and is nobody's official. Holding the delegated role already is refused too:
    the delegate would act for nobody.
    """
    if is_system_account(delegate):
        return _("The built-in system account cannot act for anyone.")
    if not delegate.active:
        return _("This user's account is disabled.")
    if holds(delegate, role, region):
        return _("This user already holds the role in this region.")
    held_here = sorted({a.role for a in delegate.roles if a.region_id == region.id})
    if not held_here:
        return _(
            "This user holds no role in %(region)s; an acting official must be one of its "
            "officials.",
            region=region.name,
        )
    if not delegable_roles() & set(held_here):
        return _(
            "In %(region)s this user holds only %(roles)s, which cannot stand in for an official.",
            region=region.name,
            roles=", ".join(role_label(name) for name in held_here),
        )
    return None


def _lock_region(region: Region) -> None:
    """Take the region's row lock for the rest of the transaction (a no-op UPDATE locks on
    PostgreSQL and SQLite alike): two delegations asked for at the same moment are checked
    for overlap one after the other, the second seeing the first."""
    db.session.execute(update(Region).where(Region.id == region.id).values(id=Region.id))


def _overlapping(role: str, region: Region, starts: date, ends: date) -> Delegation | None:
    """A delegation of `role` in `region` in force for part of starts..ends, whoever of the
    role's holders made it: one acting official per role and region at a time. One ended
    early, or whose delegator no longer holds the role (it grants nothing), does not count."""
    query = select(Delegation).where(
        Delegation.role == role,
        Delegation.region_id == region.id,
        Delegation.ended_at.is_(None),
        Delegation.starts_on <= ends,
        Delegation.ends_on >= starts,
        delegator_holds_role(),
    )
    return db.session.scalars(query.order_by(Delegation.starts_on).limit(1)).first()


def _check_dates(problems: _Problems, starts_on: date | None, ends_on: date | None) -> None:
    """Both days given, the first not before today (WITA), the last not before the first,
    and no longer than `DELEGATION_MAX_DAYS` in all."""
    today = wita_today()
    if starts_on is None:
        problems.add("starts_on", _("This field is required."))
    elif starts_on < today:
        problems.add("starts_on", _("The first day cannot be before today."))
    if ends_on is None:
        problems.add("ends_on", _("This field is required."))
    elif starts_on is not None and ends_on < starts_on:
        problems.add("ends_on", _("The last day cannot be before the first day."))
    elif ends_on < today:
        problems.add("ends_on", _("The last day has already passed."))
    elif starts_on is not None and (ends_on - starts_on).days + 1 > max_days():
        problems.add(
            "ends_on",
            _(
                "A delegation lasts at most %(days)s days, first and last day included.",
                days=max_days(),
            ),
        )


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
    elif (problem := eligibility_problem(delegate, role, region)) is not None:
        problems.add("delegate", problem)
    _check_dates(problems, starts_on, ends_on)
    if len(note or "") > NOTE_LENGTH:
        problems.add("note", _("The note is too long."))
    if not problems.errors:
        assert starts_on is not None and ends_on is not None
        _lock_region(region)
        taken = _overlapping(role, region, starts_on, ends_on)
        if taken is not None:
            problems.add(
                "starts_on",
                _(
                    "The role %(role)s in %(region)s already has an acting official, "
                    "%(name)s, from %(first)s to %(last)s.",
                    role=role_label(role),
                    region=region.name,
                    name=taken.delegate.full_name,
                    first=long_date(taken.starts_on),
                    last=long_date(taken.ends_on),
                ),
            )
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
    record_act(actor, Action.DELEGATION_CREATED, target=delegate, details=act_details(delegation))
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
    record_act(
        actor, Action.DELEGATION_ENDED, target=delegation.delegate, details=act_details(delegation)
    )
    delegate = db.session.get(User, delegation.delegate_id)
    if delegate is not None:
        db.session.expire(delegate, ["acting_delegations"])
    return delegation


def act_details(delegation: Delegation) -> dict[str, object]:
    """What the log of administrative acts records of a delegation."""
    return {
        "delegation_id": delegation.id,
        "delegator": delegation.delegator.username,
        "delegate": delegation.delegate.username,
        "role": delegation.role,
        "region": delegation.region.code,
        "starts_on": delegation.starts_on.isoformat(),
        "ends_on": delegation.ends_on.isoformat(),
    }
