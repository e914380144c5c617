"""What a login (POST /login) costs the database: one statement, the account with its roles and
the delegations in force today (what the redirect to its landing page reads), as the session's
loader reads it on every later request; the password check itself (argon2id) stays."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import event, select

from workflow_app.accounts.models import Delegation, User, wita_today
from workflow_app.extensions import db
from workflow_app.workspaces import landing_url

from .. import factories
from ..conftest import csrf_token


def _login_statements(app: Flask, username: str) -> tuple[list[str], str]:
    client = app.test_client()
    token = csrf_token(client)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    data = {"username": username, "password": factories.PASSWORD, "csrf_token": token}
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():  # the request's own session, as in production
            answer = client.post("/login", data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert answer.status_code == 302
    return statements, answer.headers["Location"]


def _expected_landing(app: Flask, username: str) -> str:
    """The landing page of the account read afresh, every relationship loaded as it asks."""
    with app.app_context(), app.test_request_context():
        db.session.remove()
        user = db.session.scalar(select(User).where(User.username == username))
        return landing_url(user)


def test_a_login_reads_the_account_in_one_statement(app_ctx: Flask, users: dict) -> None:
    statements, location = _login_statements(app_ctx, "drafter.6301")

    (statement,) = statements
    assert "role_assignment" in statement and "delegation" in statement
    assert location.endswith(_expected_landing(app_ctx, "drafter.6301"))


def test_the_delegations_in_force_today_lead_the_landing_as_before(
    app_ctx: Flask, users: dict
) -> None:
    """A partner acting today for a drafter, and once (ended) for the admin: the landing
    follows the delegation in force (a partner alone lands on the dashboard) and only that
    one."""
    acting = factories.user("staf.plt", ("partner", "6301"))
    db.session.flush()
    today = wita_today()
    for delegator, role, code, starts, ends in (
        (users["drafter"], "district_drafter", "6301", today, today + timedelta(days=3)),
        (users["admin"], "admin", "63", today - timedelta(days=9), today - timedelta(days=1)),
    ):
        db.session.add(
            Delegation(
                delegator_id=delegator.id,
                delegate_id=acting.id,
                role=role,
                region_id=factories.regions()[code].id,
                starts_on=starts,
                ends_on=ends,
            )
        )
    db.session.commit()

    statements, location = _login_statements(app_ctx, "staf.plt")

    assert len(statements) == 1
    assert location.endswith("/tasks")
    assert location.endswith(_expected_landing(app_ctx, "staf.plt"))
