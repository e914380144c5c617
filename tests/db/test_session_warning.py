"""The warning before the idle timeout: signed-in pages carry it (hidden, for the script
static/session.js), the script's question "how long is left?" is not activity, and "stay
logged in" is. The browser side is tests/browser/test_session_warning_in_browser.py."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token, login


@pytest.fixture
def timeouts(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 12)


def _idle_for(client: FlaskClient, seconds: int) -> None:
    with client.session_transaction() as session:
        session["_seen_at"] = int(time.time()) - seconds


def _seen_at(client: FlaskClient) -> int:
    with client.session_transaction() as session:
        return int(session["_seen_at"])


def test_signed_in_pages_carry_the_warning_and_its_script(app, users, client, timeouts) -> None:
    assert 'id="session-warning"' not in client.get("/login").get_data(as_text=True)
    login(client, "drafter.6301")

    page = client.get("/tasks").get_data(as_text=True)

    warning = re.search(r'<div id="session-warning"[^>]*>', page)
    assert warning and " hidden" in warning.group(0)  # only the script shows it
    assert 'data-status-url="/session/status"' in warning.group(0)
    assert 'data-session="stay"' in page
    script = re.search(r'<script src="([^"]+)" defer></script>', page)
    assert script and "/static/" in script.group(1) and "session" in script.group(1)
    assert client.get(script.group(1)).status_code == 200


def test_no_warning_when_no_timeout_can_end_the_session(app, users, client) -> None:
    login(client, "drafter.6301")  # the suite's app has both timeouts off

    assert 'id="session-warning"' not in client.get("/tasks").get_data(as_text=True)


def test_asking_how_long_is_left_does_not_keep_the_session_going(
    app, users, client, timeouts
) -> None:
    login(client, "drafter.6301")
    _idle_for(client, 29 * 60)
    seen = _seen_at(client)

    state = client.get("/session/status").get_json()

    assert state["active"] is True
    assert 0 < state["idle_seconds_left"] <= 60
    assert state["warning_seconds"] == 120
    assert _seen_at(client) == seen


def test_stay_logged_in_keeps_the_session_going(app, users, client, timeouts) -> None:
    login(client, "drafter.6301")
    token = csrf_token(client, "/tasks")
    _idle_for(client, 29 * 60)

    state = client.post("/session/keep-alive", headers={"X-CSRFToken": token}).get_json()

    assert state["active"] is True
    assert state["idle_seconds_left"] > 29 * 60
    _idle_for(client, 0)
    assert client.get("/tasks").status_code == 200


def test_stay_logged_in_needs_the_pages_token(app, users, client, timeouts) -> None:
    login(client, "drafter.6301")
    _idle_for(client, 29 * 60)
    seen = _seen_at(client)

    refused = client.post("/session/keep-alive")

    assert refused.status_code == 400
    assert _seen_at(client) == seen


def test_after_the_end_the_page_is_told_so(app, users, client, timeouts) -> None:
    login(client, "drafter.6301")
    _idle_for(client, 31 * 60)

    state = client.get("/session/status")

    assert state.status_code == 200
    assert state.get_json() == {"active": False}
    assert client.get("/tasks").status_code == 302  # logged out
