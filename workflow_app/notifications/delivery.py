"""Delivering outbox rows: render, send, record the outcome. Safe to run twice.

A delivery first takes a lease on its row (pushes `next_attempt_at` past the time it may
take), so the relay does not queue a row that is being sent, and a second delivery of the
same row (the relay's, or a message redelivered by the broker) stands aside while the lease
runs. A row is marked sent only after the mail server accepted the message. A crash between the
two sends it again later (the relay finds it pending): a duplicate, recognisable by its
outbox-id header, is the price of never losing one. A failed attempt is counted and retried
with exponential backoff and full jitter; after the last attempt the row is `failed`, where
an admin sees it with its error and can retry it. No row is ever deleted.

A worker's task delivers a chunk of rows (dispatch.py queues one task per chunk of up to
`NOTIFICATION_DELIVERY_BATCH` rows): it leases exactly those rows in one statement (`deliver_rows`;
FOR UPDATE SKIP LOCKED on PostgreSQL, so two deliveries never take the same row nor wait on each
other), sends them over the process's one SMTP connection, and marks those the server accepted
sent in one statement: a crash before that mark sends them again (duplicates, never a loss). It
takes no other row: every row has its chunk. A row it cannot lease (sent, failed for good, or
leased by another delivery or waiting for its retry) it leaves alone, so a chunk delivered twice
(the broker delivers at least once) sends nothing twice. A row whose attempt failed gets a retry
of its own, with its backoff; the others of its chunk are not sent again.
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..models_base import utcnow
from ..subjects import kind_named
from ..unit_of_work import unit_of_work
from .mailer import send_email
from .models import FAILED, PENDING, SENT, Notification
from .rendering import RenderedEmail, one_calendar, render_notification

log = logging.getLogger(__name__)

Status = Literal["sent", "already_sent", "retry", "failed", "missing", "not_due"]
_jitter = random.Random()
# Prefork pool processes inherit this generator: each reseeds, or all draw the same delays.
os.register_at_fork(after_in_child=_jitter.seed)
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class DeliveryOutcome:
    status: Status
    retry_in: float | None = None  # seconds until the next attempt, for "retry"
    error: str | None = None


def backoff_seconds(attempts: int) -> float:
    """Full jitter: a random wait up to base × 2^(attempts − 1), capped."""
    base = float(current_app.config["NOTIFICATION_RETRY_BASE_SECONDS"])
    cap = float(current_app.config["NOTIFICATION_RETRY_MAX_SECONDS"])
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return _jitter.uniform(0, ceiling)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer (unknown mailbox, refused sender) will not change on a retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(
            500 <= code < 600 for code, _ in exc.recipients.values()
        )
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _render(row: Notification, now: datetime) -> RenderedEmail:
    return render_notification(row, now)


def _send(notification_id: int, to: str, language: str, email: RenderedEmail) -> None:
    send_email(
        outbox_id=notification_id,
        to=to,
        subject=email.subject,
        text=email.text,
        html=email.html,
        language=language,
    )


def _record_failure(notification_id: int, exc: BaseException, now: datetime) -> DeliveryOutcome:
    error = describe(exc)
    max_attempts = int(current_app.config["NOTIFICATION_MAX_ATTEMPTS"])
    with unit_of_work():
        row = db.session.get(Notification, notification_id)
        if row is None or row.status == SENT:  # someone else delivered it meanwhile
            return DeliveryOutcome("already_sent" if row else "missing")
        row.attempts += 1
        row.last_error = error
        if row.attempts >= max_attempts or is_permanent(exc):
            row.status = FAILED
            row.next_attempt_at = now
            outcome = DeliveryOutcome("failed", error=error)
        else:
            retry_in = backoff_seconds(row.attempts)
            row.next_attempt_at = now + timedelta(seconds=retry_in)
            outcome = DeliveryOutcome("retry", retry_in=retry_in, error=error)
    log.warning("notification %s attempt failed (%s): %s", notification_id, outcome.status, error)
    return outcome


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"]))


def _early(first_run: bool) -> timedelta:
    """How early a row may be taken. A retry: a tenth of the lease, as its countdown may end a
    moment before its row's time. A row's first task: at most a second (the web's and the
    worker's clocks may differ a little), so that one finding its row already tried by another
    delivery (its chunk delivered twice by the broker, or queued again by the relay), which has
    queued the row's retry, stops instead of trying the row again and queueing a second retry
    of it."""
    tolerance = _lease() / 10
    return min(tolerance, timedelta(seconds=1)) if first_run else tolerance


def _leasable(started: datetime, early: timedelta | None = None) -> ColumnElement[bool]:
    """Pending and due (`early`: by default a retry's tolerance, see `_early`)."""
    early = _early(first_run=False) if early is None else early
    return (Notification.status == PENDING) & (Notification.next_attempt_at <= started + early)


def _take_lease(notification_id: int, started: datetime) -> bool:
    """Claim the row for this delivery; False while another delivery's lease runs."""
    taken = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _leasable(started))
        .values(next_attempt_at=started + _lease())
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def _lease_rows(ids: list[int], started: datetime, early: timedelta) -> list[Notification]:
    """Lease those of `ids` that can be leased, in one statement; the rows, in the order of
    `ids`, with their recipients (roles and delegations) loaded for rendering. On PostgreSQL a
    row another delivery is leasing (the same chunk delivered twice) is skipped, not waited for:
    two deliveries never wait on each other, nor lock rows in orders that could deadlock."""
    claimable = (
        select(Notification.id)
        .where(Notification.id.in_(ids), _leasable(started, early))
        .with_for_update(skip_locked=True)
    )
    leased = db.session.scalars(
        update(Notification)
        .where(Notification.id.in_(claimable.scalar_subquery()))
        .values(next_attempt_at=started + _lease())
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not leased:
        return []
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.id.in_(leased))
        .options(selectinload(Notification.recipient).selectinload(User.acting_delegations))
        .execution_options(populate_existing=True)
    ).all()
    order = {row_id: index for index, row_id in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row.id])


def _load_cases(rows: Sequence[Notification]) -> list[object]:
    """The cases the rows name, one query per kind, so rendering finds them in the session
    (which holds them only while the caller keeps the list)."""
    if len(rows) < 2:
        return []  # one row: rendering's own lookup is the same one query
    case_ids: dict[str, set[int]] = {}
    for row in rows:
        if row.subject_kind is not None and row.subject_id is not None:
            case_ids.setdefault(row.subject_kind, set()).add(row.subject_id)
    cases: list[object] = []
    for kind, ids in case_ids.items():
        try:
            model = kind_named(kind).model
        except KeyError:  # a kind no longer registered: rendering says so for its row
            continue
        cases.extend(db.session.scalars(select(model).where(model.id.in_(ids))))
    return cases


def _unleasable_outcomes(ids: list[int]) -> dict[int, DeliveryOutcome]:
    """Why each of `ids` could not be leased, in one statement (none when all were)."""
    if not ids:
        return {}
    found = {
        row.id: _outcome_of(row.status, row.last_error)
        for row in db.session.execute(
            select(Notification.id, Notification.status, Notification.last_error).where(
                Notification.id.in_(ids)
            )
        )
    }
    return {row_id: found.get(row_id, DeliveryOutcome("missing")) for row_id in ids}


def _outcome_of(status: str, last_error: str | None) -> DeliveryOutcome:
    """Why a row that exists could not be leased."""
    if status == SENT:
        return DeliveryOutcome("already_sent")
    if status == FAILED:
        # Terminal until an admin retries it (which makes it pending again).
        return DeliveryOutcome("failed", error=last_error)
    # Another delivery holds it, or its retry time has not come: that run sends it.
    return DeliveryOutcome("not_due")


def _mark_sent(ids: list[int], now: datetime | None) -> None:
    if not ids:
        return
    with unit_of_work():
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(status=SENT, sent_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )


def _release(ids: list[int], until: datetime) -> None:
    """Give back the lease of rows this run did not try: due again at `until`."""
    with unit_of_work():
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == PENDING)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )


def _server_lost(exc: BaseException) -> bool:
    """The server is unreachable or broke off (not an answer about this one message)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException):
        return False
    return isinstance(exc, OSError | smtplib.SMTPException)


def deliver(notification_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send outbox row `notification_id` unless it is already sent (or failed for good)."""
    return deliver_rows([notification_id], now)[notification_id]


def deliver_rows(
    ids: Sequence[int], now: datetime | None = None, *, first_run: bool = False
) -> dict[int, DeliveryOutcome]:
    """Send the rows `ids` that can be leased, in their order, over the process's one SMTP
    connection; the outcome of every row of `ids`. A row that cannot be leased (sent, failed
    for good, or another delivery holds it) is left as it is. A server that cannot be reached
    fails the attempt of every row left; rows left untried when the run is out of time are
    `retry` without an attempt counted. The caller queues each retry. `first_run`: the rows'
    own first task (not a retry): it takes a row only if it is due now (`_early`)."""
    started = now or utcnow()
    ids = list(dict.fromkeys(ids))  # a row named twice is still sent once
    failures: dict[int, BaseException] = {}
    # Lease, read and render in a transaction of their own: none stays open while talking SMTP.
    with unit_of_work():
        rows = _lease_rows(ids, started, _early(first_run))
        leased = {row.id for row in rows}
        outcomes = _unleasable_outcomes([row_id for row_id in ids if row_id not in leased])
        emails = _render_all(rows, started, failures)
    sent, untried = _send_all(emails, failures)
    _mark_sent(sent, now)
    outcomes.update(dict.fromkeys(sent, DeliveryOutcome("sent")))
    for row_id, exc in failures.items():
        outcomes[row_id] = _record_failure(row_id, exc, started)
    if untried:
        # Out of time, not tried: due again at once, not counted; the caller queues them.
        _release(untried, started)
        outcomes.update(dict.fromkeys(untried, DeliveryOutcome("retry", retry_in=0.0)))
    return {row_id: outcomes[row_id] for row_id in ids}


Email = tuple[int, str, str, RenderedEmail]


def _render_all(
    rows: Sequence[Notification], started: datetime, failures: dict[int, BaseException]
) -> list[Email]:
    """Each row's email (id, address, language, email); a row whose rendering fails goes to
    `failures` (a broken template must not lose the row: its attempt is counted)."""
    cases = _load_cases(rows)  # noqa: F841 (kept in the session while rendering)
    emails: list[Email] = []
    with one_calendar():
        for row in rows:
            try:
                email = _render(row, started)
            except Exception as exc:
                log.exception("notification %s could not be rendered", row.id)
                failures[row.id] = exc
                continue
            emails.append((row.id, row.to_address, row.language or "id", email))
    return emails


def _send_all(
    emails: list[Email], failures: dict[int, BaseException]
) -> tuple[list[int], list[int]]:
    """Send `emails` in order: the ids the server accepted, and those left untried because
    the lease would run out (failed ones go to `failures`)."""
    sent: list[int] = []
    # The rest waits for another run rather than be sent after the lease has run out.
    deadline = time.monotonic() + _lease().total_seconds() / 2
    for index, (row_id, to, language, email) in enumerate(emails):
        try:
            _send(row_id, to, language, email)
        except Exception as exc:  # smtplib, OS and anything else: counted, retried
            failures[row_id] = exc
            if _server_lost(exc):
                # The server is unreachable (one reconnection was tried): the rest would fail
                # alike, and each counts this attempt and waits for its own retry.
                failures.update(dict.fromkeys((other for other, *_ in emails[index + 1 :]), exc))
                return sent, []
        else:
            sent.append(row_id)
        if time.monotonic() > deadline:
            return sent, [other for other, *_ in emails[index + 1 :]]
    return sent, []
