"""Flask-Login wiring: how a session's user id becomes a User."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
from .models import Delegation, RoleAssignment, User, active_on, wita_today

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    # Every request needs the user's roles, today's delegations to the user and their regions:
    # one query, not five.
    user = db.session.get(
        User,
        int(user_id),
        options=[
            joinedload(User.roles).joinedload(RoleAssignment.region),
            joinedload(User.acting_delegations.and_(active_on(wita_today()))).joinedload(
                Delegation.region
            ),
        ],
    )
    return user if user is not None and user.active else None
