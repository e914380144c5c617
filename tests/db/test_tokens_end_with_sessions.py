"""Ending a user's sessions ends their API tokens (issue 14): the attack pass found tokens that
survived "log out everywhere", a password change, a reset by emailed link, a password set by
the admin and a disabled account, so whoever had taken over a session kept the account
through a token made from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, login
from tests.db.test_accounts_security import (
    NEW_PASSWORD,
    _admin_post,
    _ask_reset,
    _change,
    _client,
    _link_in,
    _reset,
    _reset_emails,
)
from workflow_app.accounts.models import User
from workflow_app.api.models import ApiToken
from workflow_app.extensions import db
from workflow_app.models_base import utcnow


def _api_status(app: Flask, secret: str) -> int:
    client = app.test_client(use_cookies=False)
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"})
    return response.status_code


def _tokens_of(username: str) -> list[ApiToken]:
    db.session.expire_all()
    query = select(ApiToken).join(ApiToken.user).where(User.username == username)
    return list(db.session.scalars(query.order_by(ApiToken.id)))


def _log_out(app: Flask, users: dict) -> None:
    client = _client(app)
    login(client, "drafter.6301")
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})
    assert response.status_code == 302


def _change_password(app: Flask, users: dict) -> None:
    client = _client(app)
    login(client, "drafter.6301")
    assert _change(client, factories.PASSWORD, NEW_PASSWORD).status_code == 303


def _reset_by_link(app: Flask, users: dict) -> None:
    _ask_reset(_client(app), "drafter.6301")
    link = _link_in(_reset_emails()[0])
    assert _reset(_client(app), link, NEW_PASSWORD).status_code == 303


def _admin_sets_password(app: Flask, users: dict) -> None:
    admin = _client(app)
    login(admin, "admin")
    url = f"/admin/users/{users['drafter'].id}/password"
    assert _admin_post(admin, url, {"password": NEW_PASSWORD}).status_code == 302


def _admin_disables_and_enables_again(app: Flask, users: dict) -> None:
    admin = _client(app)
    login(admin, "admin")
    url = f"/admin/users/{users['drafter'].id}"
    data = {"full_name": "Drafter", "email": "drafter.6301@example.test", "language": "id"}
    assert _admin_post(admin, url, data).status_code == 302  # "active" unticked: disabled
    # Enabling the account again does not bring its tokens back.
    assert _admin_post(admin, url, {**data, "active": "y"}).status_code == 302


ENDINGS: dict[str, Callable[[Flask, dict], None]] = {
    "log out everywhere": _log_out,
    "password change": _change_password,
    "reset by emailed link": _reset_by_link,
    "password set by the admin": _admin_sets_password,
    "account disabled": _admin_disables_and_enables_again,
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_ending_a_users_sessions_ends_every_token_of_theirs(app, users, ending: str) -> None:
    script = factories.api_token(users["drafter"], "sinkron harian")
    report = factories.api_token(users["drafter"], "laporan bulanan")
    someone_else = factories.api_token(users["reviewer"], "skrip peninjau")
    assert _api_status(app, script) == _api_status(app, report) == 200

    ENDINGS[ending](app, users)

    assert _api_status(app, script) == 401
    assert _api_status(app, report) == 401
    assert _api_status(app, someone_else) == 200
    assert all(token.revoked_at is not None for token in _tokens_of("drafter.6301"))
    assert all(token.revoked_at is None for token in _tokens_of("reviewer.6301"))


def test_after_logging_out_the_list_shows_each_token_ended_and_when(app, users) -> None:
    factories.api_token(users["drafter"], "sinkron harian")
    expired = factories.api_token(users["drafter"], "sudah habis", days=1)
    stored_expired = db.session.scalar(select(ApiToken).where(ApiToken.name == "sudah habis"))
    stored_expired.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    client = _client(app)
    login(client, "drafter.6301")

    response = client.post(
        "/logout",
        data={"csrf_token": csrf_token(client, "/tasks")},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )

    # The confirmation says the tokens ended too (one: the expired one had ended already).
    assert "your API token was revoked" in response.get_data(as_text=True)
    assert _api_status(app, expired) == 401
    live, ended_before = _tokens_of("drafter.6301")
    assert live.revoked_at is not None
    assert ended_before.revoked_at is None  # an expired token keeps the end it had
    login(client, "drafter.6301")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert f'data-token-id="{live.id}" data-revoked="yes"' in page
    assert f'data-revoked-at="{live.revoked_at.isoformat()}"' in page
    assert 'id="tokens-end-with-sessions"' in page  # said before, on the page that makes them


def test_logging_out_without_tokens_says_only_that(app, users) -> None:
    client = _client(app)
    login(client, "drafter.6301")
    response = client.post(
        "/logout",
        data={"csrf_token": csrf_token(client, "/tasks")},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "You have been logged out." in page
    assert "API token" not in page
