"""Delivering one outbox row: render, send, record the outcome. Safe to run twice.

A delivery first takes a lease on its row (pushes `next_attempt_at` past the time it may
take), so the relay does not queue a row that is being sent, and a second delivery of the
same row (the relay's, or a message redelivered by the broker) stands aside while the lease
runs. A row is marked sent only after the mail server accepted the message. A crash between the
two sends it again later (the relay finds it pending): a duplicate, recognisable by its
outbox-id header, is the price of never losing one. A failed attempt is counted and retried
with exponential backoff and full jitter; after the last attempt the row is `failed`, where
an admin sees it with its error and can retry it. No row is ever deleted.

A worker's task delivers its row and, under the same lease, up to `NOTIFICATION_DELIVERY_BATCH`
− 1 other due rows not tried yet (`deliver_due`: claimed with FOR UPDATE SKIP LOCKED on
PostgreSQL, so two workers never take the same row), over the process's one SMTP connection,
and marks those the server accepted sent in one statement: a crash before that mark sends them
again (duplicates, never a loss). Their own tasks then find them sent. A row being retried
keeps its own retry: one task per row, as when each task sent one. A task whose row is no
longer due (an earlier task's batch sent it) stops after the one statement that reads it
(without a lock or a transaction), taking no other rows: in a busy queue most tasks are such,
and the due rows have their own.
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
DEFAULT_BATCH = 50


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
    task's batch, which has queued the row's retry, stops instead of trying the row again and
    queueing a second retry of it."""
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
    """Lease those of `ids` that can be leased, in one statement; the rows, with their
    recipients (roles and delegations) loaded for rendering."""
    leased = db.session.scalars(
        update(Notification)
        .where(Notification.id.in_(ids), _leasable(started, early))
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


def _unleasable_outcome(notification_id: int) -> DeliveryOutcome:
    """Why a row could not be leased."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        return DeliveryOutcome("missing")
    return _outcome_of(row.status, row.last_error)


def _outcome_of(status: str, last_error: str | None) -> DeliveryOutcome:
    """Why a row that exists could not be leased."""
    if status == SENT:
        return DeliveryOutcome("already_sent")
    if status == FAILED:
        # Terminal until an admin retries it (which makes it pending again).
        return DeliveryOutcome("failed", error=last_error)
    # Another delivery holds it, or its retry time has not come: that run sends it.
    return DeliveryOutcome("not_due")


def _peek(first_id: int, started: datetime, early: timedelta) -> DeliveryOutcome | None:
    """None if row `first_id` looks due, else why it cannot be leased. Most tasks of a busy
    queue find their row sent by an earlier task's batch and stop here: one statement, read
    without a lock, and outside a transaction when none is open (no BEGIN, no COMMIT: one
    round trip to the database instead of three)."""
    query = select(
        Notification.status, Notification.next_attempt_at, Notification.last_error
    ).where(Notification.id == first_id)
    if db.session().in_transaction():
        found = db.session.execute(query).one_or_none()
    else:
        autocommit = {"isolation_level": "AUTOCOMMIT"}
        try:
            found = db.session.connection(execution_options=autocommit).execute(query).one_or_none()
        finally:
            db.session.commit()  # gives the connection back; nothing to commit
    if found is None:
        return DeliveryOutcome("missing")
    if found.status != PENDING or found.next_attempt_at > started + early:
        return _outcome_of(found.status, found.last_error)
    return None


def _lock_first(first_id: int, started: datetime, early: timedelta) -> bool:
    """Lock row `first_id` for its lease (PostgreSQL) if it can still be leased; False when
    another worker is claiming it (skipped, not waited for) or it changed since `_peek`."""
    return (
        db.session.scalar(
            select(Notification.id)
            .where(Notification.id == first_id, _leasable(started, early))
            .with_for_update(skip_locked=True)
        )
        is not None
    )


def _claim_others(first_id: int, started: datetime, limit: int) -> list[int]:
    """Up to `limit` − 1 other rows due now and never tried yet, oldest first (along the
    status/next-attempt index). Locked (PostgreSQL) until the lease is written; rows another
    worker is claiming are skipped, not waited for: two workers never wait on each other,
    and only rows locked here are leased."""
    if limit <= 1:
        return []
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.status == PENDING,
                Notification.next_attempt_at <= started,
                # A row being retried has its own retry waiting (one task per row, as before).
                Notification.attempts == 0,
                Notification.id != first_id,
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit - 1)
            .with_for_update(skip_locked=True)
        )
    )


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
    return deliver_due(notification_id, now, limit=1)[notification_id]


def deliver_due(
    notification_id: int,
    now: datetime | None = None,
    *,
    limit: int | None = None,
    first_run: bool = False,
) -> dict[int, DeliveryOutcome]:
    """Send row `notification_id` and, under the same lease, up to `limit` − 1 other due rows
    (NOTIFICATION_DELIVERY_BATCH by default); the outcome of each row leased, the first one's
    always included. A server that cannot be reached fails the attempt of every row left;
    rows left untried when the batch runs out of time are `retry` without an attempt counted.
    The caller queues the retry of every row but the first (whose task retries itself).
    `first_run`: the row's own first task (not a retry): it takes the row only if it is due
    now (`_early`)."""
    started = now or utcnow()
    if limit is None:
        limit = int(current_app.config.get("NOTIFICATION_DELIVERY_BATCH", DEFAULT_BATCH))
    early = _early(first_run)
    outcomes: dict[int, DeliveryOutcome] = {}
    failures: dict[int, BaseException] = {}
    emails: list[tuple[int, str, str, RenderedEmail]] = []
    # Lease, read and render in a transaction of their own: none stays open while talking SMTP.
    if limit > 1:
        refused = _peek(notification_id, started, early)
        if refused is not None:  # its task ends here; the due rows wait for their own
            return {notification_id: refused}
    with unit_of_work():
        if limit > 1 and not _lock_first(notification_id, started, early):
            return {notification_id: _unleasable_outcome(notification_id)}
        ids = [notification_id, *_claim_others(notification_id, started, limit)]
        rows = _lease_rows(ids, started, early)
        cases = _load_cases(rows)  # noqa: F841 (kept in the session while rendering)
        if not rows or rows[0].id != notification_id:
            outcomes[notification_id] = _unleasable_outcome(notification_id)
        with one_calendar():
            for row in rows:
                try:
                    email = _render(row, started)
                except Exception as exc:  # a broken template must not lose the row: count it
                    log.exception("notification %s could not be rendered", row.id)
                    failures[row.id] = exc
                    continue
                emails.append((row.id, row.to_address, row.language or "id", email))
    sent: list[int] = []
    untried: list[int] = []
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
                break
        else:
            sent.append(row_id)
        if time.monotonic() > deadline:
            untried = [other for other, *_ in emails[index + 1 :]]
            break
    _mark_sent(sent, now)
    outcomes.update(dict.fromkeys(sent, DeliveryOutcome("sent")))
    for row_id, exc in failures.items():
        outcomes[row_id] = _record_failure(row_id, exc, started)
    if untried:
        # Out of time, not tried: due again at once, not counted; the caller queues them.
        _release(untried, started)
        outcomes.update(dict.fromkeys(untried, DeliveryOutcome("retry", retry_in=0.0)))
    return outcomes
