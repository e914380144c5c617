"""The user's own account page and the language switch: a signed-in user's choice is kept on
their account and changes the interface at once; a visitor's choice lives in the session."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select

from tests.conftest import csrf_token, login
from workflow_app.accounts.models import User
from workflow_app.extensions import db


def _nav(client: FlaskClient, url: str = "/tasks") -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', response.get_data(as_text=True), re.S)
    assert nav, "no main navigation"
    links = [text.strip() for text in re.findall(r"<a [^>]*>([^<]*)</a>", nav.group(1))]
    return links[:2]  # "My tasks" and "Plans"; other links come and go with the roles


def _expected_nav(app: Flask, locale: str) -> list[str]:
    with app.test_request_context(), force_locale(locale):
        return [gettext("My tasks"), gettext("Plans")]


def _heading(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r"<h1>([^<]*)</h1>", page)
    assert match, "no heading"
    return match.group(1).strip()


def _switch(client: FlaskClient, language: str, page: str = "/tasks", **extra: str) -> object:
    token = csrf_token(client, page)
    return client.post(
        "/account/language", data={"language": language, "csrf_token": token, **extra}
    )


def _language(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.language).where(User.username == username))


def test_the_nav_words_differ_between_the_languages(app: Flask) -> None:
    # Otherwise the tests below could not tell one language from the other.
    assert _expected_nav(app, "id") != _expected_nav(app, "en")


def test_account_page_shows_the_user_and_their_roles(client: FlaskClient, users: dict) -> None:
    login(client, "mitra.demo")
    response = client.get("/account")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<dd id="account-username">mitra.demo</dd>' in page
    assert '<dd id="account-name">Mitra Demo</dd>' in page
    assert '<dd id="account-email">mitra.demo@example.test</dd>' in page
    assert re.search(r'<li data-role="partner" data-region="6301">[^<]*Tanah Laut', page)
    assert '<option selected value="id">' in page


def test_account_page_needs_login(client: FlaskClient, users: dict) -> None:
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_switching_to_english_and_back_changes_the_interface_at_once(
    app: Flask, client: FlaskClient, users: dict
) -> None:
    login(client, "drafter.6301")
    assert _nav(client) == _expected_nav(app, "id")

    response = _switch(client, "en", next="/tasks")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks"
    assert _language("drafter.6301") == "en"
    assert _nav(client) == _expected_nav(app, "en")
    assert '<html lang="en">' in client.get("/tasks").get_data(as_text=True)

    _switch(client, "id", next="/tasks")
    assert _language("drafter.6301") == "id"
    assert _nav(client) == _expected_nav(app, "id")


def test_the_choice_is_kept_on_the_account_for_the_next_login(
    app: Flask, client: FlaskClient, users: dict
) -> None:
    login(client, "reviewer.6301")
    _switch(client, "en")
    other_browser = app.test_client()
    login(other_browser, "reviewer.6301")
    assert _nav(other_browser) == _expected_nav(app, "en")


def test_the_account_form_saves_the_language(app: Flask, client: FlaskClient, users: dict) -> None:
    login(client, "head.6301")
    response = _switch(client, "en", page="/account", next="/account")
    assert response.headers["Location"] == "/account"
    assert _language("head.6301") == "en"
    assert _heading(client, "/account") == _expected_heading(app, "en")
    assert '<option selected value="en">' in client.get("/account").get_data(as_text=True)


def _expected_heading(app: Flask, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext("My account")


def test_an_unknown_language_is_refused(client: FlaskClient, users: dict) -> None:
    login(client, "head.6301")
    response = _switch(client, "fr", page="/account")
    assert response.status_code == 400
    assert 'id="language-error"' in response.get_data(as_text=True)
    assert _language("head.6301") == "id"


def test_the_switch_needs_a_csrf_token(client: FlaskClient, users: dict) -> None:
    login(client, "head.6301")
    assert client.post("/account/language", data={"language": "en"}).status_code == 400
    assert _language("head.6301") == "id"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_the_switch_never_leaves_the_site(client: FlaskClient, users: dict, next_url: str) -> None:
    login(client, "head.6301")
    response = _switch(client, "en", next=next_url)
    assert response.headers["Location"] == "/account"


def test_every_page_has_the_switch(client: FlaskClient, users: dict) -> None:
    pattern = r'<form method="post" action="/account/language"'
    assert re.search(pattern, client.get("/login").get_data(as_text=True))
    login(client, "drafter.6301")
    assert re.search(pattern, client.get("/tasks").get_data(as_text=True))


def test_a_visitors_choice_lives_in_the_session(
    app: Flask, client: FlaskClient, users: dict
) -> None:
    with app.test_request_context(), force_locale("en"):
        english_login = gettext("Log in")
    with app.test_request_context(), force_locale("id"):
        indonesian_login = gettext("Log in")

    assert _heading(client, "/login") == indonesian_login
    response = _switch(client, "en", page="/login", next="/login")
    assert response.headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert session["language"] == "en"
    assert _heading(client, "/login") == english_login
    # The browser's own preference does not override the explicit choice.
    page = client.get("/login", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    # Another visitor is not affected.
    assert _heading(app.test_client(), "/login") == indonesian_login

    # Once logged in, the user's own setting (Indonesian) wins.
    login(client, "drafter.6301")
    assert _nav(client) == _expected_nav(app, "id")
    assert _language("drafter.6301") == "id"
