"""The built-in `sistem` account: the actor of what the app does by itself on a date (a plan's
monitoring starts when its period does, a quarter's report opens when the quarter ends), so the
history names an actor for every row. It holds the `system` role in the province and cannot log
in: it is inactive and its password hash matches no password."""

from __future__ import annotations

from sqlalchemy import select

from ..engine import Role
from ..extensions import db
from ..regions.catalogue import PROVINCE
from ..regions.models import Region
from ..regions.operations import ensure_regions
from .models import RoleAssignment, User

SYSTEM_USERNAME = "sistem"
UNUSABLE_PASSWORD_HASH = "!"  # not an argon2 hash: check_password is always False


def system_user() -> User:
    """The system account, created (with its role) on first use in the current transaction."""
    user = db.session.scalar(select(User).where(User.username == SYSTEM_USERNAME))
    if user is not None:
        return user
    province = db.session.scalar(select(Region).where(Region.code == PROVINCE.code))
    if province is None:
        province = ensure_regions()[PROVINCE.code]
    user = User(
        username=SYSTEM_USERNAME,
        full_name="Sistem",
        email="",
        password_hash=UNUSABLE_PASSWORD_HASH,
        active=False,
    )
    user.roles.append(RoleAssignment(role=Role.SYSTEM, region=province))
    db.session.add(user)
    db.session.flush()
    return user


def is_system_account(user: User) -> bool:
    return user.username == SYSTEM_USERNAME
