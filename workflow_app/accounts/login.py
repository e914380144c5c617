"""Flask-Login wiring: how a session's user id becomes a User."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
from ..notifications.models import Notification
from .models import Delegation, RoleAssignment, User, active_on, wita_today

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"


def parse_session_id(session_id: str) -> tuple[int, int] | None:
    """(user id, session epoch) from `User.get_id()`'s "<id>:<epoch>" or "<id>" (epoch 0)."""
    user_part, _sep, epoch_part = session_id.partition(":")
    epoch_part = epoch_part or "0"
    if not all(p.isascii() and p.isdigit() for p in (user_part, epoch_part)):
        return None
    return int(user_part), int(epoch_part)


def _with_grants(day: object) -> list[object]:
    """Every request needs the user's roles, the delegations to the user in force on `day`
    and their regions: one query, not five."""
    return [
        joinedload(User.roles).joinedload(RoleAssignment.region),
        joinedload(User.acting_delegations.and_(active_on(day))).joinedload(  # type: ignore[arg-type]
            Delegation.region
        ),
    ]


# The number on the bell every page's header shows (inbox.views.unread_notifications), read in
# the same statement as the user: one round trip per page instead of two.
_UNREAD = (
    select(func.count(Notification.id))
    .where(Notification.in_inbox_of(User.id), Notification.read_at.is_(None))  # type: ignore[arg-type]
    .correlate(User)
    .scalar_subquery()
)

# Built once: the statement is the same on every request, only its two values change (building
# its loader options per request cost more than running the cached statement). Today's date is
# a callable, not a value given at execution: the loaded user keeps these options, and a later
# refresh of it in the same request (after a commit expired it) runs them again without our
# parameters.
_USER_WITH_GRANTS = (
    select(User, _UNREAD)
    .where(User.id == bindparam("user_id"))
    .options(*_with_grants(bindparam("today", type_=Date, callable_=wita_today)))
)


def _load_with_grants(user_id: int) -> User | None:
    if db.session.identity_map.get(db.session.identity_key(User, user_id)) is not None:
        # Already in this session (a test's app context, a login in this request): as
        # `Session.get` does, no query for it.
        return db.session.get(User, user_id, options=_with_grants(wita_today()))
    result = db.session.execute(_USER_WITH_GRANTS, {"user_id": user_id})
    row = result.unique().one_or_none()
    if row is None:
        return None
    user, g.unread_notifications = row
    return user


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, epoch = parsed
    user = _load_with_grants(user_id)
    # A session from before the last logout, password change or disabling has ended.
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user
