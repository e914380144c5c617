"""Security headers on every response, templates the Content-Security-Policy does not break,
and error pages that fail closed: generic, no trace, nothing half drawn."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from tests.conftest import csrf_token, login
from workflow_app import errors
from workflow_app.resources import resource_path


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    parts = (p.strip().split(None, 1) for p in policy.split(";") if p.strip())
    return {name: value for name, value in parts}


def _assert_protected(response) -> None:
    csp = _directives(response)
    assert csp["script-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp["default-src"] + csp["script-src"] + csp["style-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # The embedded profile is plain HTTP: no HSTS there (production has it, see
    # test_accounts_security.py).
    assert "Strict-Transport-Security" not in response.headers


def test_every_kind_of_response_carries_the_headers(users, client: FlaskClient) -> None:
    responses = {
        "page": client.get("/login"),
        "redirect": client.get("/plans"),
        "not found": client.get("/no-such-page"),
        "wrong method": client.get("/logout"),
        "csrf refused": client.post("/login", data={"username": "x", "password": "y"}),
        "stylesheet": client.get("/static/app.css"),
    }
    login(client, "drafter.6301")
    responses["signed-in page"] = client.get("/tasks")

    assert {name: r.status_code for name, r in responses.items()} == {
        "page": 200,
        "redirect": 302,
        "not found": 404,
        "wrong method": 405,
        "csrf refused": 400,
        "stylesheet": 200,
        "signed-in page": 200,
    }
    for response in responses.values():
        _assert_protected(response)


def test_pages_are_not_cached_but_stylesheets_are(users, client: FlaskClient) -> None:
    login(client, "drafter.6301")

    assert client.get("/tasks").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


TEMPLATES = sorted(
    path
    for path in resource_path("templates").rglob("*.html")
    if "emails" not in path.parts  # emails are not pages: no CSP there, inline styles needed
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_page_template_needs_inline_script_or_a_style_block(path) -> None:
    source = path.read_text(encoding="utf-8")

    # Scripts only as files of the site (`<script src=...></script>`), never inline.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", source, re.IGNORECASE | re.DOTALL)
    assert len(scripts) == len(re.findall(r"<script\b", source, re.IGNORECASE))
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert not re.search(r"<style\b", source, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", source, re.IGNORECASE)  # onclick=...
    assert "javascript:" not in source.lower()


# --- errors ---------------------------------------------------------------------------------


@pytest.fixture
def no_propagation(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: an exception becomes a 500 response instead of reaching the test."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def _break_view(app: Flask, monkeypatch: pytest.MonkeyPatch, endpoint: str, exc: Exception):
    def broken(*args: object, **kwargs: object) -> str:
        raise exc

    monkeypatch.setitem(app.view_functions, endpoint, broken)


def test_an_unexpected_error_shows_a_generic_page_without_a_trace(
    app: Flask, users, client: FlaskClient, no_propagation, monkeypatch
) -> None:
    login(client, "drafter.6301")
    _break_view(app, monkeypatch, "plans.tasks", RuntimeError("secret detail at /srv/app.py"))

    response = client.get("/tasks")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert 'class="card error-page' in page
    assert "Traceback" not in page
    assert "secret detail" not in page and "RuntimeError" not in page
    _assert_protected(response)


def test_a_database_failure_is_a_500_not_half_a_page(
    app: Flask, users, client: FlaskClient, no_propagation, monkeypatch
) -> None:
    login(client, "drafter.6301")
    failure = OperationalError("SELECT password_hash FROM user_account", {}, Exception("gone"))
    _break_view(app, monkeypatch, "plans.index", failure)

    response = client.get("/plans")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert 'class="card error-page' in page
    assert "password_hash" not in page and "SELECT" not in page
    # The failed transaction was rolled back: the next request works.
    assert client.get("/tasks").status_code == 200


def test_a_failure_in_the_middle_of_a_page_sends_none_of_it(
    app: Flask, users, client: FlaskClient, no_propagation, monkeypatch
) -> None:
    login(client, "drafter.6301")
    # The menu asks the database whether to show the dashboard: fail there, with the head
    # of the page already drawn (and the error page, which has the same menu, too).
    failure = OperationalError("SELECT 1", {}, Exception("connection lost"))

    def lost(*args: object) -> bool:
        raise failure

    monkeypatch.setitem(app.jinja_env.globals, "can_open_dashboard", lost)

    response = client.get("/tasks")

    assert response.status_code == 500
    assert response.get_data(as_text=True) == errors.BARE_500


def test_when_even_the_error_page_fails_a_bare_page_is_sent(
    app: Flask, users, client: FlaskClient, no_propagation, monkeypatch
) -> None:
    login(client, "drafter.6301")
    _break_view(app, monkeypatch, "plans.tasks", RuntimeError("first failure"))

    def unrenderable(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the template engine is broken too")

    monkeypatch.setattr(errors, "render_template", unrenderable)

    response = client.get("/tasks")

    assert response.status_code == 500
    assert response.get_data(as_text=True) == errors.BARE_500
    _assert_protected(response)


def test_a_state_change_by_get_or_without_csrf_is_refused(users, client: FlaskClient) -> None:
    login(client, "drafter.6301")

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/tasks").status_code == 200  # still logged in
    assert (
        client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")}).status_code == 302
    )
