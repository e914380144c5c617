"""Personal API tokens: made and revoked by the user at /account/tokens (shown once, stored
hashed), and by `workflow-app tokens create` for scripts."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from workflow_app.accounts import tokens
from workflow_app.api.models import ApiToken
from workflow_app.commands.exits import EXIT_NOT_FOUND, EXIT_REFUSED
from workflow_app.engine import InvalidInput
from workflow_app.extensions import db
from workflow_app.templating import wita_datetime

from .. import factories
from ..conftest import csrf_token, login

NEW_TOKEN = re.compile(r'<code id="new-token"[^>]*>([^<]+)</code>')


def post_token(
    client: FlaskClient,
    name: str = "laporan bulanan",
    days: str = "",
    password: str = factories.PASSWORD,
):
    token = csrf_token(client, "/account/tokens")
    data = {"name": name, "days": days, "password": password, "csrf_token": token}
    return client.post("/account/tokens", data=data)


def create_token(client: FlaskClient, name: str = "laporan bulanan", days: str = "") -> str:
    response = post_token(client, name, days)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    match = NEW_TOKEN.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def api_status(client: FlaskClient, secret: str) -> int:
    return client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client: FlaskClient, users) -> None:
    login(client, "drafter.6301")
    secret = create_token(client)
    assert len(secret) >= 40
    stored = db.session.scalar(select(ApiToken))
    assert stored.user_id == users["drafter"].id
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:8]
    # Made without a length: it ends after the longest a token may live (one year).
    assert stored.expires_at - stored.created_at == timedelta(days=365)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in page
    assert stored.prefix in page
    assert f'data-token-id="{stored.id}"' in page
    assert api_status(client, secret) == 200


def test_the_page_says_how_to_send_a_token(client: FlaskClient, users) -> None:
    """The header to send is shown whole: "<token>" is text, not a tag the browser drops."""
    login(client, "drafter.6301")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Authorization: Bearer &lt;token&gt;" in page


def test_a_token_acts_as_its_user(client: FlaskClient, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    login(client, "drafter.6304")
    secret = create_token(client)
    response = client.get(f"/api/v1/plans/{plan.id}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404  # another district's plan, as on the web


def test_a_token_can_expire(client: FlaskClient, users) -> None:
    login(client, "drafter.6301")
    create_token(client, days="30")
    stored = db.session.scalar(select(ApiToken))
    assert 29 <= (stored.expires_at - stored.created_at).days <= 30


def test_a_revoked_token_stops_working(client: FlaskClient, users) -> None:
    login(client, "drafter.6301")
    secret = create_token(client)
    stored = db.session.scalar(select(ApiToken))
    token = csrf_token(client, "/account/tokens")
    response = client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    assert api_status(client, secret) == 401
    db.session.expire_all()
    assert stored.revoked_at is not None
    page = client.get("/account/tokens").get_data(as_text=True)
    assert f'data-token-id="{stored.id}" data-revoked="yes"' in page


def test_nobody_revokes_another_users_token(client: FlaskClient, users) -> None:
    secret = factories.api_token(users["reviewer"])
    stored = db.session.scalar(select(ApiToken))
    login(client, "drafter.6301")
    token = csrf_token(client, "/account/tokens")
    response = client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert api_status(client, secret) == 200
    assert f'data-token-id="{stored.id}"' not in client.get("/account/tokens").get_data(
        as_text=True
    )


def test_bad_input_reshows_the_form_and_saves_nothing(client: FlaskClient, users) -> None:
    login(client, "drafter.6301")
    token = csrf_token(client, "/account/tokens")
    for data in (
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "days": "0"},
        {"name": "dipakai skrip", "days": "abc"},
    ):
        right = {"password": factories.PASSWORD, "csrf_token": token}
        response = client.post("/account/tokens", data={**data, **right})
        assert response.status_code == 400
        assert 'id="new-token"' not in response.get_data(as_text=True)
    kept = client.post(
        "/account/tokens", data={"name": "dipakai skrip", "days": "abc", "csrf_token": token}
    )
    assert 'value="dipakai skrip"' in kept.get_data(as_text=True)
    assert client.post("/account/tokens", data={"name": "no csrf"}).status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_making_a_token_asks_for_the_password_again(client: FlaskClient, users) -> None:
    """A stolen session alone must not be enough to make a token that outlives it."""
    login(client, "drafter.6301")

    for password in ("", "not-my-password"):
        response = post_token(client, name="sinkron SIPD", password=password)

        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert 'id="password-error"' in page  # the refusal is on the password field
        assert 'value="sinkron SIPD"' in page  # the typed name is kept
        assert 'id="new-token"' not in page
    assert db.session.scalar(select(ApiToken)) is None
    assert post_token(client, name="sinkron SIPD").status_code == 201


def test_wrong_passwords_for_a_token_are_throttled_like_a_login(
    app_ctx, client: FlaskClient, users, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app_ctx.config, "LOGIN_LIMIT_PER_USERNAME", "3 per day")
    login(client, "drafter.6301")
    for _ in range(3):
        assert post_token(client, password="tebak-tebakan").status_code == 400

    held = post_token(client)  # the right password, after too many wrong ones

    assert held.status_code == 429
    assert 'id="password-error"' in held.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
    other = app_ctx.test_client()  # another account is not held back
    login(other, "reviewer.6301")
    assert post_token(other).status_code == 201


def test_the_list_shows_when_each_token_was_last_used(client: FlaskClient, users) -> None:
    login(client, "drafter.6301")
    used, unused = create_token(client, "dipakai"), create_token(client, "belum dipakai")
    assert api_status(client, used) == 200
    db.session.expire_all()
    stored = {t.name: t for t in db.session.scalars(select(ApiToken))}

    page = client.get("/account/tokens").get_data(as_text=True)

    last_used = stored["dipakai"].last_used_at
    assert last_used is not None
    with force_locale("id"):
        shown = wita_datetime(last_used)  # e.g. "5 Februari 2026 14.30 WITA"
    assert f'data-last-used="{last_used.isoformat()}">{shown}<' in page
    never = re.search(r'data-last-used="never">([^<]+)<', page)
    assert never and never.group(1) == "tidak pernah"
    assert unused not in page


def test_token_pages_need_a_login(client: FlaskClient, users) -> None:
    assert client.get("/account/tokens").status_code == 302
    login(client, "drafter.6301")
    page = client.get("/account").get_data(as_text=True)
    assert 'id="api-tokens-link"' in page


def test_the_cli_issues_a_working_token(app_ctx, client: FlaskClient, users) -> None:
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=["tokens", "create", "reviewer.6301", "--name", "cron", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert "\n" not in secret
    assert api_status(client, secret) == 200
    stored = db.session.scalar(select(ApiToken))
    assert (stored.name, stored.user_id) == ("cron", users["reviewer"].id)
    assert stored.expires_at is not None


def test_the_cli_refuses_unknown_and_disabled_users(app_ctx, users) -> None:
    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["tokens", "create", "nobody"]).exit_code == EXIT_NOT_FOUND
    users["head"].active = False
    db.session.commit()
    assert runner.invoke(args=["tokens", "create", "head.6301"]).exit_code == EXIT_REFUSED
    assert db.session.scalar(select(ApiToken)) is None


def test_no_token_lives_longer_than_the_configured_maximum(
    app_ctx, users, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack pass found tokens valid for ever by default."""
    drafter = users["drafter"]
    default = tokens.issue_token(drafter, "tanpa batas").token
    assert default.expires_at - default.created_at == timedelta(days=365)
    with pytest.raises(InvalidInput, match="1 sampai 365 hari"):
        tokens.issue_token(drafter, "terlalu lama", days=366)
    monkeypatch.setitem(app_ctx.config, "API_TOKEN_MAX_DAYS", 30)
    short = tokens.issue_token(drafter, "pendek").token
    assert short.expires_at - short.created_at == timedelta(days=30)
    refused = app_ctx.test_cli_runner().invoke(
        args=["tokens", "create", "drafter.6301", "--days", "31"]
    )
    assert refused.exit_code != 0 and "1 to 30 days" in refused.output
