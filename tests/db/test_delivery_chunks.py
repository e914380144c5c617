"""Delivery in chunks through the worker's tasks (workers/tasks.py), run in this process with
the messages they publish recorded: a commit queues one task per chunk of rows; a row whose
send fails gets a retry of its own (the others are not sent again); a worker killed mid-chunk
loses no row and its rows are sent once more at most; a chunk delivered twice, one after the
other or while the first is still sending, sends nothing twice; the one-row task of messages
queued before chunks still delivers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from celery.signals import before_task_publish
from flask import Flask
from sqlalchemy import update

from tests.db.test_delivery import RecordingCelery, _row
from tests.db.test_delivery import queue as queue  # the autouse broker stand-in
from tests.db.test_delivery_batch import CountingInbox, _due_rows, serving
from workers import tasks
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.models_base import utcnow
from workflow_app.notifications import delivery, mailer
from workflow_app.notifications.dispatch import (
    DELIVER_ROWS_TASK,
    DELIVER_TASK,
    delivery_chunks,
    queue_delivery,
)
from workflow_app.notifications.models import Notification
from workflow_app.notifications.relay import requeue_stale


class BusyInbox(CountingInbox):
    """Also answers 451 (try again later) for the addresses in `busy`."""

    def __init__(self) -> None:
        super().__init__()
        self.busy: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.busy:
            return "451 4.3.0 mailbox busy, try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)

    def outbox_ids(self) -> list[int]:
        return [int(message["X-Workflow-Outbox-Id"]) for message in self.messages]


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[BusyInbox]:
    with serving(BusyInbox(), app, monkeypatch) as inbox:
        yield inbox


@dataclass(frozen=True)
class Published:
    task: str
    args: list[Any]
    retries: int
    eta: str | None


@pytest.fixture
def published() -> Iterator[list[Published]]:
    """The tasks the worker's tasks publish (to the test app's in-memory broker)."""
    found: list[Published] = []

    def record(sender: str, body: Any, headers: dict[str, Any], **_: Any) -> None:
        found.append(Published(sender, list(body[0]), headers.get("retries", 0), headers["eta"]))

    before_task_publish.connect(record, weak=False)
    try:
        yield found
    finally:
        before_task_publish.disconnect(record)


def run_task(name: str, arg: object, retries: int = 0) -> str:
    """Run task `name` here as a worker would; its result (the statuses it counted).

    Its body runs under the test's app: `apply` would push the app of Celery's default app,
    which is whichever app the session built last (another test's production app, whose mail
    goes elsewhere), so the test's SMTP server would see nothing."""
    task = {DELIVER_ROWS_TASK: tasks.deliver_rows, DELIVER_TASK: tasks.deliver}[name]
    task.push_request(retries=retries, id=f"test-{name}-{retries}")
    try:
        return str(task.run(arg))
    finally:
        task.pop_request()


def _busy(smtp_server: BusyInbox, row_id: int) -> None:
    """Row `row_id`'s mailbox answers 451 (its own address: no other row's)."""
    address = f"busy-{row_id}@example.test"
    db.session.execute(
        update(Notification).where(Notification.id == row_id).values(to_address=address)
    )
    db.session.commit()
    db.session.remove()
    smtp_server.busy.add(address)


def test_a_commit_queues_one_task_per_chunk_of_one_request(
    app: Flask, queue: RecordingCelery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "NOTIFICATION_DELIVERY_BATCH", 2)
    with app.app_context():
        queue_delivery([5, 1, 9, 3, 7])
        # The relay's rows come from many requests: each task logs under one.
        queue_delivery([11, 12, 13, 14], {11: "a", 12: "b", 13: "a", 14: None})
    assert queue.sent == [
        (DELIVER_ROWS_TASK, [[5, 1]]),
        (DELIVER_ROWS_TASK, [[9, 3]]),
        (DELIVER_ROWS_TASK, [[7]]),
        (DELIVER_ROWS_TASK, [[11, 13]]),
        (DELIVER_ROWS_TASK, [[12]]),
        (DELIVER_ROWS_TASK, [[14]]),
    ]
    assert delivery_chunks([], None, 50) == []


def test_a_row_whose_send_fails_gets_its_own_retry_and_the_others_are_sent_once(
    users: dict[str, User], smtp_server: BusyInbox, published: list[Published]
) -> None:
    ids = _due_rows(users, 4)
    failing = ids[1]
    _busy(smtp_server, failing)

    assert run_task(DELIVER_ROWS_TASK, ids) == f"sent {len(ids) - 1}, retry 1"

    assert smtp_server.outbox_ids() == [row_id for row_id in ids if row_id != failing]
    # One retry, of the failed row alone, after its own backoff, marked a retry (it may take
    # its row a moment early).
    ((message),) = published
    assert (message.task, message.args, message.retries) == (DELIVER_ROWS_TASK, [[failing]], 1)
    row = _row(failing)
    assert (row.status, row.attempts) == ("pending", 1)
    assert abs(row.next_attempt_at.timestamp() - _eta(message)) < 1

    # The retry comes when its countdown ends; the mailbox takes mail again.
    smtp_server.busy.clear()
    _due_now(failing)
    assert run_task(DELIVER_ROWS_TASK, [failing], retries=1) == "sent 1"
    assert sorted(smtp_server.outbox_ids()) == sorted(ids)  # each once
    assert {_row(row_id).status for row_id in ids} == {"sent"}


def _eta(message: Published) -> float:
    assert message.eta is not None, "a retry without a countdown"
    return datetime.fromisoformat(message.eta).timestamp()


def _due_now(row_id: int) -> None:
    row = _row(row_id)
    row.next_attempt_at = utcnow()
    db.session.commit()
    db.session.remove()


class Killed(BaseException):
    """The worker process dies (SIGKILL): nothing after this point of the task runs."""


def test_a_worker_killed_mid_chunk_loses_nothing_and_its_rows_go_out_once_more_at_most(
    app: Flask,
    users: dict[str, User],
    smtp_server: BusyInbox,
    queue: RecordingCelery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _due_rows(users, 5)
    started = utcnow()
    send = delivery._send
    accepted_before_the_kill = 2

    def dies_on_the_third(*args: Any) -> None:
        if len(smtp_server.messages) == accepted_before_the_kill:
            raise Killed
        send(*args)

    monkeypatch.setattr(delivery, "_send", dies_on_the_third)
    with pytest.raises(Killed):
        delivery.deliver_rows(ids, started, first_run=True)
    monkeypatch.setattr(delivery, "_send", send)
    db.session.rollback()
    mailer.close_connection()  # the process's connection died with it
    assert {_row(row_id).status for row_id in ids} == {"pending"}  # nothing recorded as sent
    early = smtp_server.outbox_ids()

    # The broker hands the unacknowledged chunk to the next worker at once: the lease holds.
    lease = timedelta(seconds=app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"])
    soon = started + timedelta(seconds=5)
    redelivered = delivery.deliver_rows(ids, soon, first_run=True)
    assert {o.status for o in redelivered.values()} == {"not_due"}
    assert requeue_stale(now=soon) == []
    assert smtp_server.outbox_ids() == early

    # The lease and the grace run out: the relay queues the rows again, in one chunk.
    later = started + lease + timedelta(minutes=3)
    queue.sent.clear()  # what the plans' commits queued
    assert requeue_stale(now=later) == ids
    ((name, (chunk,)),) = queue.sent
    assert (name, chunk) == (DELIVER_ROWS_TASK, ids)
    outcomes = delivery.deliver_rows(chunk, later, first_run=True)
    assert {o.status for o in outcomes.values()} == {"sent"}
    # And the chunk the broker redelivered after the lease (visibility timeout): nothing more.
    again = delivery.deliver_rows(ids, later + timedelta(seconds=1), first_run=True)
    assert {o.status for o in again.values()} == {"already_sent"}

    copies = smtp_server.outbox_ids()
    assert sorted(set(copies)) == sorted(ids)  # none lost
    # Those the server had accepted before the kill arrive twice (the same outbox id); the
    # rest, never tried by the dead worker, once.
    assert early == ids[:accepted_before_the_kill]
    assert {row_id: copies.count(row_id) for row_id in ids} == {
        row_id: 2 if row_id in early else 1 for row_id in ids
    }


def test_a_chunk_delivered_again_while_the_first_is_sending_sends_nothing_twice(
    app: Flask, users: dict[str, User], smtp_server: BusyInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At-least-once: the broker may hand the same message to a second process while the
    first is still talking SMTP (a visibility timeout ran out). The second finds every row
    leased and stands aside."""
    ids = _due_rows(users, 3)
    send = delivery._send
    second: list[dict[int, delivery.DeliveryOutcome]] = []

    def while_sending(*args: Any) -> None:
        if not second:
            with app.app_context():  # another process: its own session and connection
                second.append(delivery.deliver_rows(ids, first_run=True))
                db.session.remove()
        send(*args)

    monkeypatch.setattr(delivery, "_send", while_sending)
    first = delivery.deliver_rows(ids, first_run=True)

    assert {o.status for o in first.values()} == {"sent"}
    assert {o.status for o in second[0].values()} == {"not_due"}
    assert sorted(smtp_server.outbox_ids()) == sorted(ids)


def test_a_chunk_run_twice_by_the_worker_sends_nothing_twice(
    users: dict[str, User], smtp_server: BusyInbox, published: list[Published]
) -> None:
    ids = _due_rows(users, 3)

    assert run_task(DELIVER_ROWS_TASK, ids) == f"sent {len(ids)}"
    assert run_task(DELIVER_ROWS_TASK, ids) == f"already_sent {len(ids)}"

    assert sorted(smtp_server.outbox_ids()) == sorted(ids)
    assert published == []


def test_the_one_row_task_of_messages_queued_before_chunks_still_delivers(
    users: dict[str, User], smtp_server: BusyInbox, published: list[Published]
) -> None:
    ids = _due_rows(users, 2)
    _busy(smtp_server, ids[1])

    assert run_task(DELIVER_TASK, ids[0]) == "sent 1"
    assert smtp_server.outbox_ids() == [ids[0]]  # its row only: it takes no other
    assert _row(ids[1]).status == "pending"
    assert run_task(DELIVER_TASK, ids[1]) == "retry 1"
    # Its retry is a chunk of one.
    assert [(p.task, p.args, p.retries) for p in published] == [(DELIVER_ROWS_TASK, [[ids[1]]], 1)]
