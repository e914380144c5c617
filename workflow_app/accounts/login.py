"""Flask-Login wiring: how a session's user id becomes a User."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from .models import User

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None
