"""Delivering the outbox through a real SMTP server (aiosmtpd on a free local port): each
email is sent once, a second delivery does nothing, a server that is down means a retry with
backoff and in the end a visible failure, and the relay picks up rows left pending."""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask, current_app
from sqlalchemy import event, select

from tests import factories
from workflow_app.accounts.models import User
from workflow_app.extensions import db, mail
from workflow_app.models_base import utcnow
from workflow_app.notifications.delivery import _take_lease, deliver
from workflow_app.notifications.dispatch import DELIVER_ROWS_TASK
from workflow_app.notifications.mailer import close_connection
from workflow_app.notifications.models import Notification
from workflow_app.notifications.outbox import take_new_ids
from workflow_app.notifications.relay import requeue_stale
from workflow_app.unit_of_work import unit_of_work


class RecordingCelery:
    """Stands in for the broker: remembers what was queued, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object]]] = []

    def send_task(self, name: str, args: list[object], **options: object) -> None:
        self.sent.append((name, list(args)))


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.unknown_addresses: set[str] = set()
        self.data_reply: str | None = None  # e.g. "451 try again later"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.unknown_addresses:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send_mail_to(app: Flask, monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Deliver over SMTP to 127.0.0.1:`port` (Flask-Mail keeps its settings from start-up)."""
    settings = {**app.config, "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False}
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "NOTIFICATION_SMTP_TIMEOUT_SECONDS", 5)
    monkeypatch.setitem(app.extensions, "mail", mail.init_mail(settings))


@pytest.fixture(autouse=True)
def queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    recorder = RecordingCelery()
    monkeypatch.setitem(app.extensions, "celery", recorder)
    return recorder


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on a free port of 127.0.0.1; the app's mail goes to it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    _send_mail_to(app, monkeypatch, port)
    try:
        yield inbox
    finally:
        close_connection()  # the connection delivery keeps open (notifications/mailer.py)
        controller.stop()


@pytest.fixture
def server_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's mail goes to a port where nothing listens (connection refused)."""
    _send_mail_to(app, monkeypatch, _free_port())


def _reviewer_email(users: dict[str, User]) -> Notification:
    plan = factories.plan_in_state(users, "district_review")
    return db.session.scalars(
        select(Notification).where(
            Notification.subject_is("plan", plan.id),
            Notification.recipient_id == users["reviewer"].id,
        )
    ).one()


def _row(notification_id: int) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def test_an_email_is_sent_once_and_a_second_delivery_does_nothing(
    users: dict[str, User], smtp_server: Inbox
) -> None:
    row_id = _reviewer_email(users).id

    outcome = deliver(row_id)

    assert outcome.status == "sent"
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["X-Workflow-Outbox-Id"] == str(row_id)
    assert message["To"] == "reviewer.6301@example.test"
    assert message["Subject"] == "[Rencana Aksi] Tanah Laut: rencana diajukan untuk reviu"
    row = _row(row_id)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 0

    assert deliver(row_id).status == "already_sent"
    assert len(smtp_server.messages) == 1


def test_a_server_that_is_down_means_a_retry_with_backoff(
    users: dict[str, User], server_down: None
) -> None:
    row_id = _reviewer_email(users).id
    now = utcnow()

    first = deliver(row_id, now=now)

    assert first.status == "retry"
    assert 0 <= first.retry_in <= 30  # full jitter up to the base
    row = _row(row_id)
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=first.retry_in)

    second = deliver(row_id, now=now + timedelta(minutes=1))
    assert second.status == "retry" and 0 <= second.retry_in <= 60
    assert _row(row_id).attempts == 2


def test_the_email_goes_out_once_the_server_is_back(
    users: dict[str, User], app: Flask, monkeypatch: pytest.MonkeyPatch, server_down: None
) -> None:
    row_id = _reviewer_email(users).id
    assert deliver(row_id).status == "retry"

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        _send_mail_to(app, monkeypatch, port)
        assert deliver(row_id).status == "sent"
    finally:
        controller.stop()
    assert [m["X-Workflow-Outbox-Id"] for m in inbox.messages] == [str(row_id)]
    assert _row(row_id).status == "sent"


def test_after_the_last_attempt_the_row_is_failed_with_its_error(
    users: dict[str, User], server_down: None, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 3)
    row_id = _reviewer_email(users).id

    # Each attempt at the time the previous one set for it.
    statuses = [deliver(row_id, now=_row(row_id).next_attempt_at).status for _ in range(3)]

    assert statuses == ["retry", "retry", "failed"]
    row = _row(row_id)
    assert row.status == "failed" and row.attempts == 3
    assert "Connection refused" in row.last_error
    # Failed stays failed (until an admin retries it); the row is kept, not dropped.
    assert deliver(row_id).status == "failed"
    assert _row(row_id).attempts == 3


def test_a_temporary_refusal_is_retried_and_nothing_is_marked_sent(
    users: dict[str, User], smtp_server: Inbox
) -> None:
    smtp_server.data_reply = "451 4.3.0 try again later"
    row_id = _reviewer_email(users).id

    outcome = deliver(row_id)

    assert outcome.status == "retry"
    assert "451" in outcome.error
    assert _row(row_id).status == "pending"
    smtp_server.data_reply = None
    assert deliver(row_id).status == "sent"
    assert len(smtp_server.messages) == 1


def test_an_unknown_mailbox_fails_at_once(users: dict[str, User], smtp_server: Inbox) -> None:
    smtp_server.unknown_addresses.add("reviewer.6301@example.test")
    row_id = _reviewer_email(users).id

    outcome = deliver(row_id)

    assert outcome.status == "failed"
    row = _row(row_id)
    assert row.status == "failed" and row.attempts == 1
    assert "no such mailbox" in row.last_error
    assert smtp_server.messages == []


def test_a_missing_row_is_reported_not_raised(app_ctx: Flask) -> None:
    assert deliver(424242).status == "missing"


def test_the_relay_queues_stale_pending_rows_and_they_are_delivered(
    users: dict[str, User], smtp_server: Inbox, queue: RecordingCelery
) -> None:
    plan = factories.plan_in_state(users, "returned")  # two transitions: two emails
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.subject_is("plan", plan.id))
        .order_by(Notification.id)
    ).all()
    ids = [row.id for row in rows]
    written = max(row.next_attempt_at for row in rows)
    # The factory commits without unit_of_work: drop the ids it would have queued then.
    take_new_ids()

    assert requeue_stale(now=written + timedelta(seconds=60)) == []  # still within grace

    later = written + timedelta(minutes=5)
    assert requeue_stale(now=later) == ids
    assert queue.sent == [(DELIVER_ROWS_TASK, [ids])]  # one chunk: one request wrote them
    # Queued once per grace period, not on every relay run.
    assert requeue_stale(now=later + timedelta(seconds=30)) == []

    for row_id in ids:  # delivered when the relay queued them
        assert deliver(row_id, now=later).status == "sent"
    assert sorted(int(m["X-Workflow-Outbox-Id"]) for m in smtp_server.messages) == ids
    # Sent rows are never queued again.
    assert requeue_stale(now=later + timedelta(hours=1)) == []


def test_the_relay_leaves_a_row_waiting_for_its_retry_alone(
    users: dict[str, User], server_down: None
) -> None:
    row_id = _reviewer_email(users).id
    now = utcnow()
    outcome = deliver(row_id, now=now)
    assert outcome.status == "retry"
    retry_at = now + timedelta(seconds=outcome.retry_in)

    assert requeue_stale(now=retry_at + timedelta(seconds=60)) == []
    assert requeue_stale(now=retry_at + timedelta(seconds=121)) == [row_id]


def test_a_test_without_the_smtp_fixture_cannot_reach_a_mail_server(app: Flask) -> None:
    with pytest.raises(AssertionError, match="without the smtp_server fixture"):
        smtplib.SMTP("127.0.0.1", 25, timeout=1)


def test_a_row_being_delivered_is_neither_relayed_nor_sent_by_a_second_delivery(
    users: dict[str, User], smtp_server: Inbox, queue: RecordingCelery
) -> None:
    """A delivery leases its row: while the lease runs, the relay does not find it stale and
    a second delivery of it (the relay's, a redelivered message) stands aside."""
    row_id = _reviewer_email(users).id
    take_new_ids()
    started = utcnow()
    lease = timedelta(seconds=current_app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"])
    with unit_of_work():
        assert _take_lease(row_id, started)  # the first delivery is talking SMTP now
    assert requeue_stale(now=started + lease - timedelta(seconds=1)) == []
    assert deliver(row_id, now=started + timedelta(seconds=5)).status == "not_due"
    assert smtp_server.messages == []
    # The first delivery died: once the lease and the grace have passed, the relay takes it.
    later = started + lease + timedelta(minutes=3)
    assert requeue_stale(now=later) == [row_id]
    assert deliver(row_id, now=later).status == "sent"
    assert len(smtp_server.messages) == 1


def test_a_row_leased_while_the_relay_looks_is_not_queued_again(
    app: Flask, users: dict[str, User], smtp_server: Inbox, queue: RecordingCelery
) -> None:
    """The relay reads the stale rows, then claims them. A delivery that leases one of them in
    between (another process, its own connection) keeps it: the relay does not queue it, so
    the pool's other process cannot send it a second time while the first is still sending."""
    row_id = _reviewer_email(users).id
    take_new_ids()
    written = _row(row_id).next_attempt_at
    relay_at = written + timedelta(minutes=5)  # long stale
    leased: list[bool] = []
    interleaved: list[str] = []

    def lease_in_another_process() -> None:
        with app.app_context(), unit_of_work():
            leased.append(_take_lease(row_id, relay_at))

    def between_look_and_claim(conn, cursor, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATION") and not interleaved:
            interleaved.append(statement)  # once: the lease's own update passes through
            other = threading.Thread(target=lease_in_another_process)
            other.start()
            other.join(10)

    event.listen(db.engine, "before_cursor_execute", between_look_and_claim)
    try:
        assert requeue_stale(now=relay_at) == []
    finally:
        event.remove(db.engine, "before_cursor_execute", between_look_and_claim)
    assert leased == [True]
    assert queue.sent == []
    # The lease stands: a message already in the queue for the row stands aside too.
    assert deliver(row_id, now=relay_at + timedelta(seconds=5)).status == "not_due"
    assert smtp_server.messages == []
