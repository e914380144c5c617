"""The calendar feed: from the account page a user makes a secret address (shown once) that
serves their open deadlines as iCalendar (RFC 5545, read back with the `icalendar` library),
with no session; a new address retires the old one, stopping the feed makes it 404, and no
address shows anyone else's deadlines."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.feeds.models import CalendarFeed
from workflow_app.feeds.operations import hash_secret
from workflow_app.plans.models import ActionPlan

BASE_URL = "https://rencana-aksi.example.org"


@pytest.fixture(autouse=True)
def base_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL + "/")


def _make_address(client: FlaskClient) -> str:
    """Press "make my calendar address" on the account page; the address it shows once."""
    response = client.post("/account/calendar", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    found = re.search(r'id="calendar-url"[^>]*>([^<]+)<', response.get_data(as_text=True))
    assert found
    return found.group(1)


def _fetch(app: Flask, address: str):
    """The feed as a phone's calendar fetches it: no cookie, no session."""
    assert address.startswith(f"{BASE_URL}/calendar/")
    return app.test_client(use_cookies=False).get(address.removeprefix(BASE_URL))


def _events(app: Flask, address: str) -> list:
    response = _fetch(app, address)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    # The zone of the due times comes with them (and keeps an empty feed a valid calendar,
    # which must hold at least one component).
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Asia/Makassar"
    events = list(calendar.walk("VEVENT"))
    for event in events:
        assert event["UID"] and isinstance(event.decoded("DTSTAMP"), datetime)
        assert event["DTSTART"].params["TZID"] == "Asia/Makassar"
    return events


@pytest.fixture
def in_review(users: dict[str, User]) -> ActionPlan:
    """A plan waiting for the 6301 reviewer, and one of 6304 waiting for its own reviewer."""
    factories.plan_in_state(
        {**users, "drafter": users["other_drafter"], "reviewer": users["other_reviewer"]},
        "district_review",
        "6304",
    )
    return factories.plan_in_state(users, "district_review")


def test_the_feed_lists_the_users_deadline_as_a_valid_icalendar_event(
    app_ctx: Flask, users: dict[str, User], in_review: ActionPlan
) -> None:
    reviewer = signed_in(app_ctx, "reviewer.6301")
    address = _make_address(reviewer)

    (event,) = _events(app_ctx, address)  # the 6304 plan is not theirs
    assert event.decoded("DTSTART") == in_review.due_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=8)  # shown in WITA
    summary = str(event["SUMMARY"])
    assert in_review.title in summary
    assert "Teruskan" in summary or "Kembalikan" in summary  # the actions, in Indonesian
    assert str(event["URL"]) == f"{BASE_URL}/plans/{in_review.id}"
    assert "Tanah Laut" in str(event["LOCATION"])
    # The same deadline keeps its UID from one fetch to the next.
    (again,) = _events(app_ctx, address)
    assert str(again["UID"]) == str(event["UID"])
    assert str(event["UID"]).endswith("@rencana-aksi.example.org")

    # The drafter has no open deadline: a valid, empty calendar.
    assert _events(app_ctx, _make_address(signed_in(app_ctx, "drafter.6301"))) == []


def test_only_the_hash_is_stored_and_a_new_address_retires_the_old(
    app_ctx: Flask, users: dict[str, User], in_review: ActionPlan
) -> None:
    reviewer = signed_in(app_ctx, "reviewer.6301")
    first = _make_address(reviewer)
    secret = first.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalars(select(CalendarFeed)).one()
    assert stored.secret_hash == hash_secret(secret) != secret
    assert "calendar-feed-active" in reviewer.get("/account").get_data(as_text=True)

    second = _make_address(reviewer)
    assert second != first
    assert _fetch(app_ctx, first).status_code == 404
    assert len(_events(app_ctx, second)) == 1


def test_a_stopped_feed_is_gone(app_ctx: Flask, users: dict[str, User], in_review) -> None:
    reviewer = signed_in(app_ctx, "reviewer.6301")
    address = _make_address(reviewer)
    response = reviewer.post(
        "/account/calendar/revoke", data={"csrf_token": csrf_token(reviewer, "/account")}
    )
    assert response.status_code == 303
    assert _fetch(app_ctx, address).status_code == 404
    assert "calendar-create" in reviewer.get("/account").get_data(as_text=True)


def test_guessed_and_disabled_addresses_answer_404(
    app_ctx: Flask, users: dict[str, User], in_review: ActionPlan
) -> None:
    address = _make_address(signed_in(app_ctx, "reviewer.6301"))
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    guesses = [
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),  # one character off
        secret[:-1],  # too short
        hash_secret(secret),  # the stored hash is no key
        str(users["reviewer"].id),
        "../account",
    ]
    for guess in guesses:
        assert _fetch(app_ctx, f"{BASE_URL}/calendar/{guess}.ics").status_code == 404, guess

    users["reviewer"].active = False
    db.session.commit()
    assert _fetch(app_ctx, address).status_code == 404


def test_the_request_log_leaves_the_secret_out(
    app_ctx: Flask, users: dict[str, User], in_review: ActionPlan, caplog: pytest.LogCaptureFixture
) -> None:
    address = _make_address(signed_in(app_ctx, "reviewer.6301"))
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="workflow_app.requests"):
        assert _fetch(app_ctx, address).status_code == 200
    logged = [record for record in caplog.records if record.name == "workflow_app.requests"]
    assert logged and all("/calendar/" in record.getMessage() for record in logged)
    assert secret not in caplog.text
    assert all(secret not in str(getattr(record, "path", "")) for record in logged)
