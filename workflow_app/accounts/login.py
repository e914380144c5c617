"""Flask-Login wiring: how a session's user id becomes a User."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
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


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, epoch = parsed
    # Every request needs the user's roles, today's delegations to the user and their regions:
    # one query, not five.
    user = db.session.get(
        User,
        user_id,
        options=[
            joinedload(User.roles).joinedload(RoleAssignment.region),
            joinedload(User.acting_delegations.and_(active_on(wita_today()))).joinedload(
                Delegation.region
            ),
        ],
    )
    # A session from before the last logout, password change or disabling has ended.
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user
