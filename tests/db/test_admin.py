"""The admin area: only for admins; the outbox shows failed and stuck emails with their
errors and retries them; the local mailbox of the embedded profile shows what was sent and
does not exist in production."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications.delivery import deliver
from workflow_app.notifications.dispatch import DELIVER_ROWS_TASK
from workflow_app.notifications.models import Notification
from workflow_app.notifications.outbox import take_new_ids


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


@pytest.fixture
def mailbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded profile's mailbox, in a folder of this test's own."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "mailbox"


ADMIN_PAGES = ["/admin/", "/admin/outbox", "/admin/mailbox", "/admin/calendar?year=2026"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize("username", ["drafter.6301", "provincial.63", "head.63"])
def test_other_roles_are_refused(
    app: Flask, users: dict[str, User], url: str, username: str
) -> None:
    assert signed_in(app, username).get(url).status_code == 403


def test_other_roles_cannot_retry_an_email(app: Flask, users: dict[str, User]) -> None:
    row_id = _emails(users)[0].id
    client = signed_in(app, "provincial.63")
    token = csrf_token(client, "/tasks")
    response = client.post(f"/admin/outbox/{row_id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    assert _row(row_id).status == "failed"


def test_the_admin_finds_the_admin_area_in_the_menu(app: Flask, users: dict[str, User]) -> None:
    page = signed_in(app, "admin").get("/tasks").get_data(as_text=True)
    assert 'href="/admin/"' in page
    assert 'href="/admin/"' not in signed_in(app, "drafter.6301").get("/tasks").get_data(
        as_text=True
    )
    assert signed_in(app, "admin").get("/admin/").status_code == 200


def _emails(users: dict[str, User]) -> list[Notification]:
    """A failed email, one stuck pending, one pending on time and one sent."""
    plan = factories.plan_in_state(users, "approved")
    take_new_ids()  # the factory committed without unit_of_work: nothing to queue
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.subject_is("plan", plan.id))
        .order_by(Notification.id)
    ).all()
    failed, stuck, on_time, sent = rows[:4]
    failed.status, failed.attempts = "failed", 6
    failed.last_error = "SMTPServerDisconnected: Connection unexpectedly closed"
    stuck.next_attempt_at = utcnow() - timedelta(minutes=30)
    stuck.attempts, stuck.last_error = 2, "ConnectionRefusedError: [Errno 111] Connection refused"
    on_time.next_attempt_at = utcnow() + timedelta(minutes=5)
    sent.status, sent.sent_at = "sent", utcnow()
    db.session.commit()
    return [failed, stuck, on_time, sent]


def _row(notification_id: int) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def test_the_outbox_lists_failed_and_stuck_emails_with_their_errors(
    app: Flask, users: dict[str, User]
) -> None:
    failed, stuck, on_time, sent = _emails(users)
    page = signed_in(app, "admin").get("/admin/outbox").get_data(as_text=True)

    assert f'id="notification-{failed.id}"' in page
    assert f'id="notification-{stuck.id}"' in page
    assert f'id="notification-{on_time.id}"' not in page
    assert f'id="notification-{sent.id}"' not in page
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert html.escape("[Errno 111] Connection refused") in page
    assert failed.to_address in page
    assert f'href="/plans/{failed.subject_id}"' in page


def test_retry_makes_the_email_pending_again_and_queues_it(
    app: Flask, users: dict[str, User], queue: RecordingCelery
) -> None:
    failed = _emails(users)[0]
    client = signed_in(app, "admin")
    token = csrf_token(client, "/admin/outbox")

    response = client.post(f"/admin/outbox/{failed.id}/retry", data={"csrf_token": token})

    assert response.status_code == 302
    row = _row(failed.id)
    assert row.status == "pending" and row.attempts == 0
    assert queue.sent == [(DELIVER_ROWS_TASK, [[failed.id]])]


def test_retry_without_the_csrf_token_changes_nothing(
    app: Flask, users: dict[str, User], queue: RecordingCelery
) -> None:
    failed = _emails(users)[0]
    response = signed_in(app, "admin").post(f"/admin/outbox/{failed.id}/retry")
    assert response.status_code == 400
    assert _row(failed.id).status == "failed"
    assert queue.sent == []


def test_a_sent_email_is_not_sent_again_by_a_retry(
    app: Flask, users: dict[str, User], queue: RecordingCelery
) -> None:
    sent = _emails(users)[3]
    client = signed_in(app, "admin")
    token = csrf_token(client, "/admin/outbox")
    client.post(f"/admin/outbox/{sent.id}/retry", data={"csrf_token": token})
    assert _row(sent.id).status == "sent"
    assert queue.sent == []


def test_retry_all_failed_queues_every_failed_email(
    app: Flask, users: dict[str, User], queue: RecordingCelery
) -> None:
    failed, stuck, _, _ = _emails(users)
    other = _row(stuck.id)
    other.status = "failed"
    db.session.commit()
    client = signed_in(app, "admin")
    token = csrf_token(client, "/admin/outbox")

    response = client.post("/admin/outbox/retry-failed", data={"csrf_token": token})

    assert response.status_code == 302
    assert {row_id for _, (chunk,) in queue.sent for row_id in chunk} == {failed.id, stuck.id}
    assert {_row(failed.id).status, _row(stuck.id).status} == {"pending"}
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "2 email yang gagal diantrekan untuk dikirim ulang." in page


def test_the_mailbox_shows_what_was_sent(app: Flask, users: dict[str, User], mailbox: Path) -> None:
    plan = factories.plan_in_state(users, "district_review")
    row = db.session.scalars(
        select(Notification).where(Notification.subject_is("plan", plan.id))
    ).one()
    assert deliver(row.id).status == "sent"
    client = signed_in(app, "admin")

    listing = client.get("/admin/mailbox").get_data(as_text=True)
    assert "[Rencana Aksi] Tanah Laut: rencana diajukan untuk reviu" in listing
    name = next(path.name for path in mailbox.glob("*.eml"))
    assert f'href="/admin/mailbox/{name}"' in listing

    page = client.get(f"/admin/mailbox/{name}").get_data(as_text=True)
    assert "X-Workflow-Outbox-Id" in page
    assert "reviewer.6301@example.test" in page
    assert f"/plans/{plan.id}" in page
    # The HTML body is inside a sandboxed frame, escaped, never part of the page itself.
    assert '<iframe class="mail-html"' in page and 'sandbox=""' in page
    assert 'srcdoc="&lt;!doctype html&gt;' in page


def test_html_in_a_mailbox_message_never_runs_in_the_admin_page(
    app: Flask, users: dict[str, User], mailbox: Path
) -> None:
    mailbox.mkdir(parents=True)
    name = "20260205T020000000000Z-77.eml"
    (mailbox / name).write_bytes(
        b"Subject: <script>alert('subject')</script>\r\n"
        b"To: someone@example.org\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello</p><script>alert('body')</script>\r\n"
    )
    page = signed_in(app, "admin").get(f"/admin/mailbox/{name}").get_data(as_text=True)
    assert page.count("<script") == 0
    assert "&lt;script&gt;alert(" in page


@pytest.mark.parametrize("name", ["..%2Fsecret_key", "secret_key", "20260205T020000Z-1.eml.bak"])
def test_the_mailbox_serves_only_its_own_files(
    app: Flask, users: dict[str, User], mailbox: Path, name: str
) -> None:
    assert signed_in(app, "admin").get(f"/admin/mailbox/{name}").status_code == 404


def test_the_mailbox_does_not_exist_in_production(
    app: Flask, users: dict[str, User], mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox.mkdir(parents=True)
    name = "20260205T020000000000Z-5.eml"
    (mailbox / name).write_bytes(b"Subject: hello\r\nTo: a@example.org\r\n\r\nbody\r\n")
    monkeypatch.setitem(app.config, "PROFILE", "production")
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    client = signed_in(app, "admin")

    assert client.get("/admin/mailbox").status_code == 404
    assert client.get(f"/admin/mailbox/{name}").status_code == 404
    assert 'href="/admin/mailbox"' not in client.get("/admin/").get_data(as_text=True)


def test_the_mailbox_does_not_exist_with_the_smtp_backend(
    app: Flask, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    assert signed_in(app, "admin").get("/admin/mailbox").status_code == 404
