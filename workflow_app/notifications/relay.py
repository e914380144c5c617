"""The outbox relay: queue again the rows still pending a while after they were due.

A row is queued right after its commit, and a failed attempt schedules its own retry; a row
still pending `NOTIFICATION_RELAY_GRACE_SECONDS` after its `next_attempt_at` was missed (the
broker was down, a worker died mid-delivery). Delivery is idempotent, so queuing a row twice
costs a lookup, never a second email once it is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from .dispatch import queue_delivery
from .models import PENDING, Notification

BATCH = 1000


def stale_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=int(current_app.config["NOTIFICATION_RELAY_GRACE_SECONDS"]))


def requeue_stale(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Queue the stale pending rows (oldest first, at most `limit`); their ids."""
    now = now or utcnow()
    cutoff = stale_cutoff(now)
    with unit_of_work():
        stale = db.session.execute(
            select(Notification.id, Notification.request_id)
            .where(Notification.status == PENDING, Notification.next_attempt_at < cutoff)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        ).all()
        ids = [row.id for row in stale]
        if ids:
            # Not stale again for another grace period: a backlog the workers have not reached
            # yet is not queued once more on every relay run.
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), Notification.status == PENDING)
                .values(next_attempt_at=now)
            )
    queue_delivery(ids, {row.id: row.request_id for row in stale})
    return ids
