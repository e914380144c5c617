"""Delivering one webhook delivery: POST the event, signed; record the outcome. Safe to run
twice. The same machinery as the email outbox (notifications/delivery.py): a lease on the row
while it is sent, a failed attempt counted and retried with its exponential backoff with full
jitter, `failed` after the last attempt (visible to the admin, who can send it again).

A request: the event as the feed serves it (JSON), a 5-second timeout, redirects not followed
(a 3xx is a failed attempt), the receiver's answer kept up to 500 characters. Any 2xx is
success; anything else, or no answer, is retried.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from ..changes.feed import as_item
from ..extensions import db
from ..models_base import utcnow
from ..notifications.delivery import ERROR_LENGTH, DeliveryOutcome, backoff_seconds, describe
from ..unit_of_work import unit_of_work
from . import signing
from .addresses import UnsafeAddress, check_url
from .models import FAILED, PENDING, RESPONSE_LENGTH, SENT, WebhookDelivery, message_id

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
USER_AGENT = "workflow-app-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


class AttemptFailed(Exception):
    def __init__(self, message: str, answer: Answer | None = None) -> None:
        super().__init__(message)
        self.answer = answer


def body_of(row: WebhookDelivery) -> bytes:
    """The request body: the event as GET /api/v1/changes serves it."""
    return json.dumps(as_item(row.event), ensure_ascii=False, separators=(",", ":")).encode()


def _post(url: str, headers: dict[str, str], body: bytes) -> Answer:
    """POST without following redirects (http.client never does)."""
    try:
        parts = check_url(url)  # again: the name may resolve elsewhere since it was saved
    except UnsafeAddress as exc:
        raise AttemptFailed(f"refused address: {exc}") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname,
            parts.port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        text = response.read(RESPONSE_LENGTH * 4).decode("utf-8", "replace")[:RESPONSE_LENGTH]
        return Answer(response.status, text)
    finally:
        connection.close()


def _max_attempts() -> int:
    config = current_app.config
    return int(config.get("WEBHOOK_MAX_ATTEMPTS", config["NOTIFICATION_MAX_ATTEMPTS"]))


def _take_lease(delivery_id: int, started: datetime) -> bool:
    lease = timedelta(seconds=float(current_app.config["NOTIFICATION_DELIVERY_LEASE_SECONDS"]))
    taken = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= started + lease / 10,
        )
        .values(next_attempt_at=started + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def _record_failure(delivery_id: int, exc: AttemptFailed, now: datetime) -> DeliveryOutcome:
    error = str(exc)[:ERROR_LENGTH]
    with unit_of_work():
        row = db.session.get(WebhookDelivery, delivery_id)
        if row is None or row.status == SENT:
            return DeliveryOutcome("already_sent" if row else "missing")
        row.attempts += 1
        row.last_error = error
        if exc.answer is not None:
            row.response_code, row.response_body = exc.answer.status, exc.answer.body
        if row.attempts >= _max_attempts():
            row.status = FAILED
            row.next_attempt_at = now
            outcome = DeliveryOutcome("failed", error=error)
        else:
            retry_in = backoff_seconds(row.attempts)
            row.next_attempt_at = now + timedelta(seconds=retry_in)
            outcome = DeliveryOutcome("retry", retry_in=retry_in, error=error)
    log.warning("webhook delivery %s attempt failed (%s): %s", delivery_id, outcome.status, error)
    return outcome


def deliver(delivery_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """POST delivery `delivery_id` unless it is already sent (or failed for good)."""
    started = now or utcnow()
    with unit_of_work():
        row = db.session.get(WebhookDelivery, delivery_id)
        if row is None:
            return DeliveryOutcome("missing")
        if row.status == SENT:
            return DeliveryOutcome("already_sent")
        if row.status == FAILED:
            return DeliveryOutcome("failed", error=row.last_error)
        if not _take_lease(delivery_id, started):
            return DeliveryOutcome("not_due")
        url, secret, body = row.webhook.url, row.webhook.secret, body_of(row)
    timestamp = int(started.timestamp())
    # No transaction stays open while the receiver answers.
    try:
        answer = _post(url, signing.headers(secret, message_id(delivery_id), timestamp, body), body)
        if not 200 <= answer.status < 300:
            raise AttemptFailed(f"the receiver answered {answer.status}", answer)
    except AttemptFailed as exc:
        return _record_failure(delivery_id, exc, started)
    except (OSError, http.client.HTTPException, signing.BadSecret) as exc:
        return _record_failure(delivery_id, AttemptFailed(describe(exc)), started)
    with unit_of_work():
        row = db.session.get(WebhookDelivery, delivery_id)
        row.status = SENT
        row.sent_at = now or utcnow()
        row.last_error = None
        row.response_code, row.response_body = answer.status, answer.body
    return DeliveryOutcome("sent")
