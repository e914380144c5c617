"""Delivering one outbox row: render, send, record the outcome. Safe to run twice.

A delivery first takes a lease on its row (pushes `next_attempt_at` past the time it may
take), so the relay does not queue a row that is being sent, and a second delivery of the
same row (the relay's, or a message redelivered by the broker) stands aside while the lease
runs. A row is marked sent only after the mail server accepted the message. A crash between the
two sends it again later (the relay finds it pending): a duplicate, recognisable by its
outbox-id header, is the price of never losing one. A failed attempt is counted and retried
with exponential backoff and full jitter; after the last attempt the row is `failed`, where
an admin sees it with its error and can retry it. No row is ever deleted.
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from .mailer import send_email
from .models import FAILED, PENDING, SENT, Notification
from .rendering import RenderedEmail, render_notification

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


def _take_lease(notification_id: int, started: datetime) -> bool:
    """Claim the row for this delivery; False while another delivery's lease runs. A tenth of
    the lease is tolerated for a retry whose countdown ends a moment before its row's time."""
    lease = timedelta(seconds=float(current_app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"]))
    taken = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == PENDING,
            Notification.next_attempt_at <= started + lease / 10,
        )
        .values(next_attempt_at=started + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def deliver(notification_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send outbox row `notification_id` unless it is already sent (or failed for good)."""
    started = now or utcnow()
    failure: BaseException | None = None
    # Read and render in a transaction of their own: none stays open while talking SMTP.
    with unit_of_work():
        row = db.session.get(Notification, notification_id)
        if row is None:
            return DeliveryOutcome("missing")
        if row.status == SENT:
            return DeliveryOutcome("already_sent")
        if row.status == FAILED:
            # Terminal until an admin retries it (which makes it pending again).
            return DeliveryOutcome("failed", error=row.last_error)
        if not _take_lease(notification_id, started):
            # Another delivery holds it, or its retry time has not come: that run sends it.
            return DeliveryOutcome("not_due")
        to, language = row.to_address, row.language or "id"
        try:
            email = _render(row, started)
        except Exception as exc:  # a broken template must not lose the row: count it
            log.exception("notification %s could not be rendered", notification_id)
            failure = exc
    if failure is None:
        try:
            _send(notification_id, to, language, email)
        except Exception as exc:  # smtplib, OS and anything else: counted, retried
            failure = exc
    if failure is not None:
        return _record_failure(notification_id, failure, started)
    with unit_of_work():
        row = db.session.get(Notification, notification_id)
        row.status = SENT
        row.sent_at = now or utcnow()
    return DeliveryOutcome("sent")
