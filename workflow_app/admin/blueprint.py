"""The admin blueprint. Its routes live in views.py (index, outbox), mailbox.py and
calendar.py; every one of them is for the admin role only."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..accounts.models import User
from ..engine import Role
from ..extensions import login_manager
from ..workspaces import register_workspace

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.app_template_global("can_open_admin")
def can_open_admin(user: User) -> bool:
    """Whether `user` holds the platform's admin role (the navigation shows its link by it)."""
    return bool(user.is_authenticated) and user.has_role(Role.ADMIN)


register_workspace("admin", "admin.index", can_open_admin)


@blueprint.before_request
def require_admin() -> object:
    """Anonymous visitors go to the login page; signed-in users without the admin role get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_open_admin(current_user):
        abort(403)
    return None
