"""The built-in `sistem` account acts for the app alone (timers, monitoring rounds, sign-off
outcomes). Nobody may enable it, give it a password, edit it, change its roles or give it an
API token: through the admin pages, the CLI or the token operation."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import csrf_token, signed_in
from workflow_app.accounts import tokens
from workflow_app.accounts.models import RoleAssignment, User
from workflow_app.accounts.system import system_user
from workflow_app.engine import RoleNotAllowed
from workflow_app.extensions import db


@pytest.fixture
def sistem(users: dict) -> User:
    account = system_user()
    db.session.commit()
    return account


def _snapshot(account: User) -> tuple:
    db.session.expire_all()
    roles = db.session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.user_id == account.id)
    ).all()
    return (account.active, account.password_hash, account.email, account.full_name, sorted(roles))


def test_the_admin_pages_cannot_change_the_system_account(
    app_ctx: Flask, users: dict, sistem: User
) -> None:
    admin: FlaskClient = signed_in(app_ctx, "admin")
    page = f"/admin/users/{sistem.id}"
    before = _snapshot(sistem)
    attempts = {
        page: {
            "full_name": "Saya",
            "email": "saya@example.test",
            "language": "id",
            "active": "y",
        },
        f"{page}/password": {"password": "kata-sandi-baru-yang-panjang-2026"},
        f"{page}/roles": {"role": "provincial_reviewer", "region": "63"},
    }
    for url, data in attempts.items():
        response = admin.post(url, data={"csrf_token": csrf_token(admin, page), **data})
        assert response.status_code == 403, url
        assert "tidak dapat diubah" in response.get_data(as_text=True), url
    assignment = db.session.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id == sistem.id)
    ).first()
    removed = admin.post(
        f"{page}/roles/{assignment.id}/delete", data={"csrf_token": csrf_token(admin, page)}
    )
    assert removed.status_code == 403
    assert _snapshot(sistem) == before


def test_no_token_acts_as_the_system_account(app_ctx: Flask, users: dict, sistem: User) -> None:
    with pytest.raises(RoleNotAllowed):
        tokens.issue_token(sistem, "pintu belakang")
    result = app_ctx.test_cli_runner().invoke(args=["tokens", "create", "sistem"])
    assert result.exit_code != 0 and "disabled" in result.output
    assert db.session.scalars(select(User).where(User.username == "sistem")).one().active is False
