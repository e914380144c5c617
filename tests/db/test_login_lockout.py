"""Login throttling slows guessing without letting anyone lock the owner out (issue 14):
failures count per username and client, the account-wide back-off holds back only browsers
the account does not know, and a browser that proved the password (a login, a change, a
reset) is counted on its own (security/throttling.py says what each side gets)."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification

NEW_PASSWORD = "lumbung-padi-martapura-tujuh"


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _post_login(client: FlaskClient, username: str, password: str):
    token = csrf_token(client, "/login")
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data)


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/tasks").status_code == 200


def _log_out(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})


def _throttled_login_page(response) -> bool:
    """429, and the login page itself saying why (not a bare error)."""
    page = response.get_data(as_text=True)
    return (
        response.status_code == 429
        and "Retry-After" in response.headers
        and 'id="login-error"' in page
        and 'name="password"' in page
    )


def _known_browser(app: Flask, username: str, address: str) -> FlaskClient:
    """A browser the owner has logged in from (and logged out of again)."""
    browser = _client(app, address)
    assert _post_login(browser, username, factories.PASSWORD).status_code == 302
    _log_out(browser)
    assert not _logged_in(browser)
    return browser


def _guess_from_many_addresses(app: Flask, username: str, count: int) -> None:
    for n in range(count):
        stranger = _client(app, f"10.9.{n // 250}.{n % 250 + 1}")
        assert _post_login(stranger, username, "wrong-password-1").status_code == 400


@pytest.fixture
def account_back_off(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """The account-wide limit, small enough to reach in a test."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "4 per hour")
    return 4


def test_an_attacker_is_stopped_and_the_admin_still_logs_in_from_elsewhere(
    app, users, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="workflow_app.security")
    attacker = _client(app, "10.6.6.6")
    for _attempt in range(5):
        assert _post_login(attacker, "admin", "wrong-password-1").status_code == 400

    # The attacker is held back, even when trying the right password.
    assert _throttled_login_page(_post_login(attacker, "admin", "wrong-password-2"))
    assert _throttled_login_page(_post_login(attacker, "admin", factories.PASSWORD))
    assert not _logged_in(attacker)

    # The real admin, in a browser that never logged in before, at another address: in at once.
    admin = _client(app, "10.0.0.7")
    assert _post_login(admin, "admin", factories.PASSWORD).status_code == 302
    assert _logged_in(admin)
    # Attempts and denials are logged with the username and address, never a password.
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "login failed" in log and "throttled" in log
    assert "'admin'" in log and "10.6.6.6" in log
    assert "wrong-password-1" not in log and factories.PASSWORD not in log


def test_guessing_from_many_addresses_holds_back_new_browsers_but_not_the_owners(
    app, users, account_back_off
) -> None:
    owner = _known_browser(app, "admin", "10.0.0.7")
    _guess_from_many_addresses(app, "admin", account_back_off)

    # A browser the account does not know is held back, whatever its address, even with
    # the right password: this is what slows guessing spread over many addresses.
    assert _throttled_login_page(_post_login(_client(app, "10.9.9.9"), "admin", "wrong-pass"))
    assert _throttled_login_page(_post_login(_client(app, "10.9.9.9"), "admin", factories.PASSWORD))
    assert _throttled_login_page(_post_login(_client(app, "10.0.0.7"), "admin", factories.PASSWORD))
    # Neither a browser known only to another account, nor a cookie made up, is the owner's.
    drafter_browser = _known_browser(app, "drafter.6301", "10.0.0.8")
    assert _post_login(drafter_browser, "admin", factories.PASSWORD).status_code == 429
    forged = _client(app, "10.0.0.9")
    forged.set_cookie("known_device", "eyJkIjoieCIsImEiOltbMSwieCIsMV1dfQ.forged")
    assert _post_login(forged, "admin", factories.PASSWORD).status_code == 429

    # The owner's browser gets in, from its usual address or any other.
    assert _post_login(owner, "admin", factories.PASSWORD).status_code == 302
    assert _logged_in(owner)
    _log_out(owner)
    owner.environ_base["REMOTE_ADDR"] = "192.168.5.5"
    assert _post_login(owner, "admin", factories.PASSWORD).status_code == 302
    # Other accounts are not held back by the guessing at this one.
    colleague = _client(app, "10.9.9.9")
    assert _post_login(colleague, "drafter.6301", factories.PASSWORD).status_code == 302


def test_a_known_browser_is_held_back_by_its_own_failures_only(app, users) -> None:
    owner = _known_browser(app, "admin", "10.0.0.7")
    stranger_here = _client(app, "10.0.0.7")  # the same office address
    for _attempt in range(5):
        assert _post_login(stranger_here, "admin", "wrong-password-1").status_code == 400
    assert _post_login(stranger_here, "admin", factories.PASSWORD).status_code == 429

    # The stranger's failures at the owner's own address do not count against the owner.
    for _attempt in range(5):
        assert _post_login(owner, "admin", "wrong-password-1").status_code == 400
    # The owner's own mistakes do: that browser waits like anyone else.
    assert _throttled_login_page(_post_login(owner, "admin", factories.PASSWORD))


def test_spraying_usernames_from_an_address_does_not_hold_back_a_known_browser_there(
    app, users, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per minute")
    owner = _known_browser(app, "admin", "10.0.0.66")
    attacker = _client(app, "10.0.0.66")  # behind the same address
    for name in ("drafter.6301", "reviewer.6301", "head.6301"):
        assert _post_login(attacker, name, "wrong-password-1").status_code == 400

    assert _throttled_login_page(_post_login(attacker, "admin", factories.PASSWORD))
    assert _post_login(owner, "admin", factories.PASSWORD).status_code == 302


def test_successful_logins_do_not_count(app, users, account_back_off) -> None:
    for n in range(8):
        client = _client(app, "10.0.0.7") if n % 2 else _client(app, f"10.5.0.{n}")
        assert _post_login(client, "drafter.6301", factories.PASSWORD).status_code == 302
    # All the failures the limits allow are still to come.
    for _attempt in range(account_back_off):
        response = _post_login(_client(app, "10.0.0.7"), "drafter.6301", "wrong-password-1")
        assert response.status_code == 400
    assert _post_login(_client(app, "10.0.0.7"), "drafter.6301", "wrong-1").status_code == 429


def _reset_link() -> str:
    db.session.expire_all()
    query = select(Notification).where(Notification.event == "password_reset")
    (email,) = db.session.scalars(query)
    match = re.search(r"http\S+(/password/reset/\S+)", render_notification(email).text)
    assert match
    return match.group(1)


def test_a_reset_through_the_emailed_link_lets_the_owner_in_from_a_new_browser(
    app, users, account_back_off
) -> None:
    _guess_from_many_addresses(app, "admin", account_back_off)
    browser = _client(app, "10.0.0.7")
    assert _post_login(browser, "admin", factories.PASSWORD).status_code == 429

    token = csrf_token(browser, "/password/forgot")
    browser.post("/password/forgot", data={"account": "admin", "csrf_token": token})
    link = _reset_link()
    token = csrf_token(browser, link)
    data = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    assert browser.post(link, data=data).status_code == 303

    assert _post_login(browser, "admin", NEW_PASSWORD).status_code == 302
    assert _logged_in(browser)


def test_a_new_password_forgets_the_other_browsers(app, users, account_back_off) -> None:
    elsewhere = _known_browser(app, "admin", "10.0.0.8")
    here = _client(app, "10.0.0.7")
    assert _post_login(here, "admin", factories.PASSWORD).status_code == 302
    token = csrf_token(here, "/account/password")
    data = {
        "current_password": factories.PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": token,
    }
    assert here.post("/account/password", data=data).status_code == 303
    _log_out(here)
    _guess_from_many_addresses(app, "admin", account_back_off)

    # A browser that knew only the old password is a stranger now; the one that chose the
    # new password is still known.
    assert _post_login(elsewhere, "admin", NEW_PASSWORD).status_code == 429
    assert _post_login(here, "admin", NEW_PASSWORD).status_code == 302
