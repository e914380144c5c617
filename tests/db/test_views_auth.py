"""Logging in and out through the browser's path: forms with CSRF, redirects, sessions."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token, login
from workflow_app.extensions import db


def _post_login(client: FlaskClient, username: str, password: str, url: str = "/login"):
    token = csrf_token(client, url)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post(url, data=data)


def _path(response: TestResponse) -> str:
    return urlsplit(response.headers["Location"]).path


def _is_logged_in(client: FlaskClient) -> bool:
    return client.get("/tasks").status_code == 200


def _login_error(response: TestResponse) -> str:
    page = html.unescape(response.get_data(as_text=True))
    start = page.index('id="login-error">') + len('id="login-error">')
    return page[start : page.index("</div>", start)]


def test_login_with_the_right_password_opens_my_tasks(users, client) -> None:
    response = _post_login(client, "drafter.6301", factories.PASSWORD)

    assert response.status_code == 302
    assert _path(response) == "/tasks"
    page = client.get("/tasks").get_data(as_text=True)
    assert "drafter.6301" in page


def test_unknown_user_and_wrong_password_get_the_same_answer(users, client) -> None:
    unknown = _post_login(client, "nobody.9999", factories.PASSWORD)
    wrong = _post_login(client, "drafter.6301", "not-the-password")

    assert unknown.status_code == wrong.status_code == 400
    assert _login_error(unknown) == _login_error(wrong)
    assert not _is_logged_in(client)
    # The typed username is kept; the password never comes back.
    assert 'value="drafter.6301"' in wrong.get_data(as_text=True)
    assert "not-the-password" not in wrong.get_data(as_text=True)


def test_an_empty_form_is_refused_with_errors_next_to_the_fields(users, client) -> None:
    response = _post_login(client, "", "")

    assert response.status_code == 400
    assert response.get_data(as_text=True).count('class="error-text"') == 2
    assert not _is_logged_in(client)


def test_a_disabled_account_cannot_log_in(users, client) -> None:
    users["drafter"].active = False
    db.session.commit()

    response = _post_login(client, "drafter.6301", factories.PASSWORD)

    assert response.status_code == 403
    assert not _is_logged_in(client)


def test_a_disabled_account_loses_its_open_session(users, client) -> None:
    login(client, "drafter.6301")
    users["drafter"].active = False
    db.session.commit()

    assert not _is_logged_in(client)


def test_login_without_csrf_token_is_refused(users, client) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"username": "drafter.6301", "password": factories.PASSWORD}
    )

    assert response.status_code == 400
    assert not _is_logged_in(client)


def test_a_protected_page_sends_to_login_and_back(users, client) -> None:
    response = client.get("/plans")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fplans"

    response = _post_login(client, "reviewer.6301", factories.PASSWORD, "/login?next=%2Fplans")

    assert response.status_code == 302
    assert _path(response) == "/plans"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/plans",
        "//evil.example/plans",
        "/\\evil.example/plans",
        "javascript:alert(1)",
        "plans",
    ],
)
def test_next_leading_off_the_site_is_ignored(users, client, target: str) -> None:
    client.get("/login")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "drafter.6301", "password": factories.PASSWORD, "csrf_token": token},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks"


def test_login_starts_a_fresh_session(users, client) -> None:
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"

    login(client, "drafter.6301")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(users["drafter"].id)


def test_logout_only_by_post_with_csrf(users, client) -> None:
    login(client, "drafter.6301")

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert _is_logged_in(client)

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})

    assert response.status_code == 302
    assert _path(response) == "/login"
    assert not _is_logged_in(client)


def test_the_start_page_sends_to_login_or_to_my_tasks(users, client) -> None:
    assert _path(client.get("/")) == "/login"
    login(client, "drafter.6301")
    assert _path(client.get("/")) == "/tasks"
