"""What the page around every page's content (base.html: navigation, bell, account, language
switch) costs a signed-in user: one statement, for the user with their roles and delegations
and the bell's count; built once, not per request."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from tests.statements import recorded_statements
from workflow_app.accounts import login
from workflow_app.accounts.models import User
from workflow_app.extensions import db

# A page that is the shell and a message only: the "not found" page (error.html).
SHELL_PATH = "/no-such-page"


def _statements(app: Flask, client: object, url: str) -> list[str]:
    # The request in an app context of its own: its own session, as in production.
    with recorded_statements() as statements, app.app_context():
        assert client.get(url).status_code == 404  # type: ignore[attr-defined]
    return statements


def test_the_shell_costs_one_statement_for_the_user_and_the_bell(
    app_ctx, users, monkeypatch
) -> None:
    client = app_ctx.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == "provincial.63"))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    _statements(app_ctx, client, SHELL_PATH)  # warm

    # The loader options are not built again per request (they cost about as much as the
    # query): only a user already in the session takes the `Session.get` path.
    built: list[object] = []
    original = login._with_grants
    monkeypatch.setattr(login, "_with_grants", lambda day: built.append(day) or original(day))
    statements = _statements(app_ctx, client, SHELL_PATH)

    assert built == []
    (statement,) = statements
    assert "user_account" in statement and "delegation" in statement
    assert "notification" in statement and "count(" in statement.lower()


def test_the_bell_counts_what_the_user_has_unread(app_ctx, users) -> None:
    """The count read with the user is the user's unread notifications, as the list shows."""
    from workflow_app.notifications import inbox

    client = app_ctx.test_client()
    user = db.session.scalar(select(User).where(User.username == "provincial.63"))
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    expected = inbox.unread_count(user.id)
    with app_ctx.app_context():
        page = client.get(SHELL_PATH).get_data(as_text=True)
    shown = re.search(r'id="unread-count">(\d+)', page)
    assert (int(shown.group(1)) if shown else 0) == expected


def test_an_ended_session_still_loads_no_user(app_ctx, users) -> None:
    """The built-once statement still refuses a session from before the last logout."""
    client = app_ctx.test_client()
    user = db.session.scalar(select(User).where(User.username == "provincial.63"))
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_epoch}"
    user.end_all_sessions()
    db.session.commit()
    with app_ctx.app_context():
        page = client.get(SHELL_PATH).get_data(as_text=True)
    assert 'id="nav-notifications"' not in page
