"""Who makes a change that is not a transition (a transition's history row names its own
actor): the API's token user, else the user signed in to the web request, else nobody (a
command, a task). Read without querying: it is asked in the middle of a flush."""

from __future__ import annotations

from flask import g, has_request_context

from ..accounts.models import User


def acting_user() -> User | None:
    if not has_request_context():
        return None
    # The API authenticates by token only (api/auth.py); a web session cookie the client also
    # sends must not make its user the actor.
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user  # type: ignore[no-any-return]
    # Flask-Login keeps the user it loaded here; a write has always loaded it already.
    user = g.get("_login_user")
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None
