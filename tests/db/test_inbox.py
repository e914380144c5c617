"""Notifications inside the app: the bell counts the user's unread events (the outbox rows of
the emails they were sent), /notifications lists them newest first with their emails' subject
lines, opening one (a POST) marks it read and goes to the case, "mark all as read" clears the
bell; reading the list changes nothing. The email choice on the account page: each event, a
daily digest only (the event is not emailed on its own, but is in the bell), or both."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts.models import User
from workflow_app.accounts.passwords import request_reset
from workflow_app.extensions import db
from workflow_app.notifications.dispatch import DELIVER_ROWS_TASK
from workflow_app.notifications.models import DIGEST_ONLY, PENDING, Notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work


class RecordingCelery:
    """Stands in for the broker: remembers what was queued, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object]]] = []

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        self.sent.append((name, list(args)))


@pytest.fixture(autouse=True)
def queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    recorder = RecordingCelery()
    monkeypatch.setitem(app.extensions, "celery", recorder)
    return recorder


def _bell(page: str) -> int:
    """The number on the bell (0 when it shows none)."""
    assert 'id="nav-notifications"' in page, "no bell on the page"
    found = re.search(r'id="unread-count">(\d+)', page)
    return int(found.group(1)) if found else 0


def _submitted(users: dict[str, User]) -> ActionPlan:
    """The drafter submits: the district reviewer (owner of the review) is emailed."""
    return factories.plan_in_state(users, "district_review")


def _rows_of(user: User) -> list[Notification]:
    return list(
        db.session.scalars(select(Notification).where(Notification.recipient_id == user.id))
    )


def _open(client: FlaskClient, row_id: int):
    token = csrf_token(client, "/notifications")
    return client.post(f"/notifications/{row_id}/open", data={"csrf_token": token})


def test_the_bell_counts_and_the_page_lists_the_event_the_user_was_emailed(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    plan = _submitted(users)
    (row,) = _rows_of(users["reviewer"])
    reviewer = signed_in(app_ctx, "reviewer.6301")

    assert _bell(reviewer.get("/tasks").get_data(as_text=True)) == 1
    page = reviewer.get("/notifications").get_data(as_text=True)
    item = re.search(
        rf'<li class="inbox-item unread" id="notification-{row.id}".*?</li>', page, re.S
    )
    assert item, page
    # The email's subject line, in the user's language (Indonesian), with the region.
    assert "[Rencana Aksi] Tanah Laut" in item.group(0)
    assert users["drafter"].full_name in item.group(0)
    # Reading the list changed nothing: still unread.
    assert _bell(reviewer.get("/notifications").get_data(as_text=True)) == 1

    # Someone without the event has a quiet bell and an empty list.
    other = signed_in(app_ctx, "reviewer.6304")
    assert _bell(other.get("/tasks").get_data(as_text=True)) == 0
    assert f"notification-{row.id}" not in other.get("/notifications").get_data(as_text=True)

    response = _open(reviewer, row.id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    page = reviewer.get("/notifications").get_data(as_text=True)
    assert _bell(page) == 0
    assert f'<li class="inbox-item" id="notification-{row.id}"' in page


def test_newest_first_and_mark_all_as_read(app_ctx: Flask, users: dict[str, User]) -> None:
    plan = _submitted(users)
    ops.transition(users["reviewer"], plan, "return", comment="Lengkapi baseline")
    db.session.commit()
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    rows = sorted(_rows_of(users["reviewer"]), key=lambda row: row.id)
    assert len(rows) == 2
    reviewer = signed_in(app_ctx, "reviewer.6301")
    page = reviewer.get("/notifications").get_data(as_text=True)
    assert _bell(page) == 2
    assert page.index(f"notification-{rows[1].id}") < page.index(f"notification-{rows[0].id}")

    token = csrf_token(reviewer, "/notifications")
    response = reviewer.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 303
    page = reviewer.get("/notifications").get_data(as_text=True)
    assert _bell(page) == 0
    assert 'class="inbox-item unread"' not in page
    # The drafter's own events (the return, with its comment) are theirs, still unread.
    drafter = signed_in(app_ctx, "drafter.6301")
    page = drafter.get("/notifications").get_data(as_text=True)
    assert _bell(page) == 1
    assert "Lengkapi baseline" in page


def test_nobody_opens_someone_elses_notification(app_ctx: Flask, users: dict[str, User]) -> None:
    _submitted(users)
    (row,) = _rows_of(users["reviewer"])
    for username in ("reviewer.6304", "drafter.6301", "admin"):
        assert _open(signed_in(app_ctx, username), row.id).status_code == 404
    assert _open(signed_in(app_ctx, "reviewer.6301"), 999_999).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def _checked_choice(page: str) -> str:
    (value,) = re.findall(r'<input[^>]*\bchecked\b[^>]*name="delivery"[^>]*value="(\w+)"', page)
    return value


def _choose(client: FlaskClient, delivery: str):
    token = csrf_token(client, "/account")
    return client.post("/account/notifications", data={"delivery": delivery, "csrf_token": token})


def test_the_account_page_sets_the_email_choice(app_ctx: Flask, users: dict[str, User]) -> None:
    reviewer = signed_in(app_ctx, "reviewer.6301")
    page = reviewer.get("/account").get_data(as_text=True)
    assert _checked_choice(page) == "each"

    assert _choose(reviewer, "digest").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, users["reviewer"].id).email_delivery == "digest"
    assert _checked_choice(reviewer.get("/account").get_data(as_text=True)) == "digest"

    refused = _choose(reviewer, "hourly")
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.get_data(as_text=True) or "Pilihan" in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(User, users["reviewer"].id).email_delivery == "digest"


@pytest.mark.parametrize(
    ("delivery", "emailed_at_once"), [("each", True), ("digest", False), ("both", True)]
)
def test_the_choice_decides_whether_the_event_is_emailed_at_once(
    app_ctx: Flask,
    users: dict[str, User],
    queue: RecordingCelery,
    delivery: str,
    emailed_at_once: bool,
) -> None:
    users["reviewer"].email_delivery = delivery
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    with unit_of_work():  # as a request does: delivery is queued after the commit
        ops.transition(users["drafter"], plan, "submit")
    (row,) = _rows_of(users["reviewer"])
    queued = {
        row_id for name, (chunk,) in queue.sent if name == DELIVER_ROWS_TASK for row_id in chunk
    }
    assert (row.id in queued) is emailed_at_once
    assert row.status == (PENDING if emailed_at_once else DIGEST_ONLY)
    # In the bell whatever the choice.
    assert _bell(signed_in(app_ctx, "reviewer.6301").get("/tasks").get_data(as_text=True)) == 1


def test_account_emails_go_at_once_whatever_the_choice(
    app_ctx: Flask, users: dict[str, User], queue: RecordingCelery
) -> None:
    users["drafter"].email_delivery = "digest"
    db.session.commit()
    with unit_of_work():
        request_reset(users["drafter"].username)
    (row,) = _rows_of(users["drafter"])
    assert row.status == PENDING
    assert [chunk for name, (chunk,) in queue.sent if name == DELIVER_ROWS_TASK] == [[row.id]]
    # Not a case's event: no bell for it.
    assert _bell(signed_in(app_ctx, "drafter.6301").get("/tasks").get_data(as_text=True)) == 0
