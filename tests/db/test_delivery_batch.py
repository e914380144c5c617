"""A worker's delivery task sends its chunk of rows under one lease, over the one SMTP
connection its process keeps open (a real aiosmtpd server counts the connections), in a
bounded number of statements; the lease, retry and failure rules of tests/db/test_delivery.py
hold for every row of a chunk, and a chunk takes no row but its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from sqlalchemy import select, text, update

from tests import factories
from tests.db.test_delivery import Inbox, _free_port, _row, _send_mail_to
from tests.db.test_delivery import queue as queue  # the autouse broker stand-in
from tests.db.test_delivery import server_down as server_down
from tests.statements import recorded_statements
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications import mailer
from workflow_app.notifications.delivery import deliver, deliver_rows
from workflow_app.notifications.models import Notification

# Measured on this data, SQLite and PostgreSQL alike: a chunk of 10 emails costs 9 statements
# in all, whatever its size while its recipients and cases are few kinds (lease, the rows,
# their recipients with roles and delegations, their cases with regions, the calendar, mark
# sent): 0.9 per email here (a batch of 10 cost 12 before, when each row's task was queued
# too and the batch's leader read, locked and claimed the others). A chunk delivered a second
# time costs two (the lease that takes nothing, the rows' states). One deliver() costs 9.
STATEMENTS_PER_EMAIL = 0.9
SINGLE_STATEMENTS = 9


AnyInbox = TypeVar("AnyInbox", bound=Inbox)


class CountingInbox(Inbox):
    """Also counts the connections (each opens with EHLO) and the QUITs."""

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0
        self.quits = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.quits += 1
        return "221 Bye"


def _start(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    return controller


@contextmanager
def serving(inbox: AnyInbox, app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnyInbox]:
    """`inbox` behind an SMTP server on a free port, with the app's mail sent there."""
    port = _free_port()
    controller = _start(inbox, port)
    _send_mail_to(app, monkeypatch, port)
    try:
        yield inbox
    finally:
        mailer.close_connection()
        controller.stop()


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingInbox]:
    with serving(CountingInbox(), app, monkeypatch) as inbox:
        yield inbox


def _due_rows(users: dict[str, User], plans: int) -> list[int]:
    """Every outbox row of `plans` submitted plans, pending and due now; their ids."""
    for _ in range(plans):
        factories.plan_in_state(users, "district_review")
    db.session.execute(
        update(Notification)
        .where(Notification.status == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.status == "pending")
            .order_by(Notification.next_attempt_at, Notification.id)
        )
    )


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The statements sent while the test runs (a test clears it where its count starts)."""
    with recorded_statements() as sent:
        yield sent


def test_a_chunk_goes_out_over_one_connection_in_few_statements(
    users: dict[str, User], smtp_server: CountingInbox, statements: list[str]
) -> None:
    ids = _due_rows(users, 10)
    assert len(ids) >= 10
    db.session.remove()
    statements.clear()

    outcomes = deliver_rows(ids)

    assert {row_id: outcome.status for row_id, outcome in outcomes.items()} == dict.fromkeys(
        ids, "sent"
    )
    assert smtp_server.connections == 1
    assert [int(m["X-Workflow-Outbox-Id"]) for m in smtp_server.messages] == ids  # in order
    assert len(statements) / len(ids) <= STATEMENTS_PER_EMAIL, statements
    assert all(_row(row_id).status == "sent" and _row(row_id).attempts == 0 for row_id in ids)


def test_a_chunk_delivered_twice_sends_nothing_twice_in_two_statements(
    users: dict[str, User], smtp_server: CountingInbox, statements: list[str]
) -> None:
    """The broker delivers at least once: the second copy finds its rows sent."""
    ids = _due_rows(users, 3)
    deliver_rows(ids)
    db.session.remove()
    statements.clear()

    again = deliver_rows(ids, first_run=True)

    assert {outcome.status for outcome in again.values()} == {"already_sent"}
    assert list(again) == ids
    assert len(statements) == 2, statements
    assert len(smtp_server.messages) == len(ids)


def test_a_chunk_takes_none_but_its_own_rows(
    users: dict[str, User], smtp_server: CountingInbox
) -> None:
    ids = _due_rows(users, 5)
    chunk, others = ids[:3], ids[3:]

    outcomes = deliver_rows([chunk[2], chunk[0], chunk[1]])

    assert list(outcomes) == [chunk[2], chunk[0], chunk[1]]
    assert [int(m["X-Workflow-Outbox-Id"]) for m in smtp_server.messages] == list(outcomes)
    assert {_row(row_id).status for row_id in others} == {"pending"}
    assert {_row(row_id).attempts for row_id in others} == {0}


def test_a_missing_row_in_a_chunk_is_reported_and_the_rest_sent(
    users: dict[str, User], smtp_server: CountingInbox
) -> None:
    ids = _due_rows(users, 2)

    outcomes = deliver_rows([ids[0], 424242, ids[1], ids[0]])

    assert {row_id: o.status for row_id, o in outcomes.items()} == {
        ids[0]: "sent",
        424242: "missing",
        ids[1]: "sent",
    }
    assert len(smtp_server.messages) == 2


def test_one_delivery_after_another_reuses_the_connection(
    users: dict[str, User], smtp_server: CountingInbox, statements: list[str]
) -> None:
    ids = _due_rows(users, 2)
    db.session.remove()
    statements.clear()

    assert [deliver(row_id).status for row_id in ids] == ["sent"] * len(ids)

    assert smtp_server.connections == 1
    assert len(statements) <= SINGLE_STATEMENTS * len(ids), statements
    mailer.close_connection()
    assert smtp_server.quits == 1


def test_a_kept_connection_the_server_dropped_is_opened_again_without_a_failed_attempt(
    app: Flask, users: dict[str, User], monkeypatch: pytest.MonkeyPatch, server_down: None
) -> None:
    ids = _due_rows(users, 2)
    port = _free_port()
    first = CountingInbox()
    controller = _start(first, port)
    _send_mail_to(app, monkeypatch, port)
    try:
        assert deliver(ids[0]).status == "sent"
    finally:
        controller.stop()  # the server goes away (a restart): the kept connection is dead
    second = CountingInbox()
    controller = _start(second, port)
    try:
        assert deliver(ids[1]).status == "sent"
    finally:
        mailer.close_connection()
        controller.stop()
    assert [m["X-Workflow-Outbox-Id"] for m in second.messages] == [str(ids[1])]
    assert _row(ids[1]).attempts == 0


def test_a_chunk_sends_only_its_rows_that_are_due_and_not_leased(
    app: Flask, users: dict[str, User], smtp_server: CountingInbox
) -> None:
    ids = _due_rows(users, 6)
    now = utcnow()
    leased, waiting, failed, first, *rest = ids
    lease = timedelta(seconds=app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"])
    db.session.execute(
        update(Notification).where(Notification.id == leased).values(next_attempt_at=now + lease)
    )
    # A retry due in a few seconds waits for its own task (a chunk's first run takes a row
    # at most a second early).
    db.session.execute(
        update(Notification)
        .where(Notification.id == waiting)
        .values(next_attempt_at=now + timedelta(seconds=5), attempts=1)
    )
    db.session.execute(
        update(Notification).where(Notification.id == failed).values(status="failed")
    )
    db.session.commit()
    db.session.remove()

    outcomes = deliver_rows(ids, now, first_run=True)  # the chunk's own task

    assert {row_id: o.status for row_id, o in outcomes.items()} == {
        leased: "not_due",
        waiting: "not_due",
        failed: "failed",
        **dict.fromkeys([first, *rest], "sent"),
    }
    assert sorted(int(m["X-Workflow-Outbox-Id"]) for m in smtp_server.messages) == sorted(
        [first, *rest]
    )
    assert (_row(leased).status, _row(waiting).status, _row(failed).status) == (
        "pending",
        "pending",
        "failed",
    )
    assert (_row(waiting).attempts, _row(waiting).next_attempt_at) == (
        1,
        now + timedelta(seconds=5),
    )
    assert _row(first).sent_at == now


def test_a_server_that_is_down_fails_each_row_once_with_its_own_retry(
    users: dict[str, User], server_down: None
) -> None:
    ids = _due_rows(users, 3)
    now = utcnow()

    outcomes = deliver_rows(ids, now)

    # As if each row had its own task: one attempt each, its own backoff.
    assert {outcome.status for outcome in outcomes.values()} == {"retry"}
    for row_id in ids:
        row = _row(row_id)
        retry_at = now + timedelta(seconds=outcomes[row_id].retry_in)
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, retry_at)


def test_a_first_run_after_another_delivery_tried_the_row_leaves_it_to_its_retry(
    users: dict[str, User], server_down: None
) -> None:
    """A delivery that tried a row queued that row's retry; a first run of the same chunk
    arriving later (the broker delivered it twice) but before the retry's time stops instead
    of trying it again (which would queue a second retry of the same row). A retry may still
    take its row a moment early."""
    ids = _due_rows(users, 2)
    deliver_rows(ids, utcnow())
    retry_at = _row(ids[1]).next_attempt_at
    db.session.remove()

    own_task = deliver_rows([ids[1]], retry_at - timedelta(seconds=5), first_run=True)
    assert own_task[ids[1]].status == "not_due"
    assert _row(ids[1]).attempts == 1

    db.session.remove()
    retry = deliver_rows([ids[1]], retry_at - timedelta(seconds=5))
    assert retry[ids[1]].status == "retry"
    assert _row(ids[1]).attempts == 2


def test_a_refused_message_fails_alone_and_the_chunk_goes_on(
    users: dict[str, User], smtp_server: CountingInbox
) -> None:
    ids = _due_rows(users, 3)
    refused = "nobody@example.test"
    db.session.execute(
        update(Notification).where(Notification.id == ids[1]).values(to_address=refused)
    )
    db.session.commit()
    smtp_server.unknown_addresses.add(refused)

    outcomes = deliver_rows(ids)

    for row_id in ids:
        expected = "failed" if _row(row_id).to_address == refused else "sent"
        assert outcomes[row_id].status == expected
    assert smtp_server.connections == 1


def test_rows_another_delivery_is_leasing_are_skipped_not_waited_for(
    app: Flask, users: dict[str, User], smtp_server: CountingInbox
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    ids = _due_rows(users, 5)
    db.session.remove()
    with db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '5s'"))
        locked = ids[1:3]
        other.execute(
            text("SELECT id FROM notification WHERE id = ANY(:ids) FOR UPDATE"), {"ids": locked}
        )
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))

        outcomes = deliver_rows(ids)

        other.rollback()
    assert {row_id for row_id, o in outcomes.items() if o.status == "sent"} == set(ids) - set(
        locked
    )
    assert {outcomes[row_id].status for row_id in locked} == {"not_due"}
    assert {int(m["X-Workflow-Outbox-Id"]) for m in smtp_server.messages} == set(ids) - set(locked)
