"""Text a user typed cannot add a mail header: a region name with CR/LF and "Bcc:" reaches an
email subject, and the message the mailer builds still has one subject line and no Bcc."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.notifications.mailer import build_message
from workflow_app.notifications.models import Notification
from workflow_app.notifications.rendering import render_notification

# Found by this test and fixed in notifications/mailer.build_message: a subject with line
# breaks (from a name typed by someone) once became extra headers in the mailbox backend's
# files and an undeliverable message over SMTP.
HOSTILE_NAMES = [
    pytest.param("Tanah Laut\r\nBcc: x@example.test", id="crlf"),
    pytest.param("Tanah Laut\nBcc: x@example.test", id="lf"),
    pytest.param("Tanah Laut\rBcc: x@example.test", id="cr"),
    pytest.param("Tanah Laut\r\n\r\n<b>body</b>", id="blank-line"),
    pytest.param("Tanah Laut\u2028Bcc: x@example.test", id="u2028"),
]


class QuietQueue:
    def send_task(self, name: str, args: list[object], **options: object) -> None:
        """The broker is not under test: queued deliveries are dropped."""


@pytest.fixture(autouse=True)
def quiet_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "celery", QuietQueue())


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_region_name_with_a_line_break_adds_no_header(users: dict[str, User], name: str) -> None:
    factories.regions()["6301"].name = name
    db.session.commit()
    factories.plan_in_state(users, "district_review")
    row = db.session.scalars(
        select(Notification).where(
            Notification.event == "submit", Notification.recipient_id == users["reviewer"].id
        )
    ).one()

    email = render_notification(row)
    raw = build_message(
        outbox_id=row.id,
        to=users["reviewer"].email,
        subject=email.subject,
        text=email.text,
        html=email.html,
        language="id",
    ).as_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)

    assert message["Bcc"] is None
    assert message.get_all("To") == ["reviewer.6301@example.test"]
    subject = str(message["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert "Tanah Laut" in subject
    # Every header line of the raw message is a known header or a folded continuation.
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for line in head.split(b"\n"):
        assert not line.lower().startswith(b"bcc"), raw[:400]
