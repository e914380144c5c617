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
        candidates = db.session.scalars(
            select(Notification.id)
            .where(Notification.status == PENDING, Notification.next_attempt_at < cutoff)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        ).all()
        # Claimed only if still stale when updated: a delivery may have leased a row since it
        # was read, and queuing that row again would let a second process send it too. The
        # update also keeps a backlog the workers have not reached from being queued once
        # more on every relay run: it is not stale again for another grace period.
        claimed = (
            db.session.execute(
                update(Notification)
                .where(
                    Notification.id.in_(candidates),
                    Notification.status == PENDING,
                    Notification.next_attempt_at < cutoff,
                )
                .values(next_attempt_at=now)
                .returning(Notification.id, Notification.request_id)
                .execution_options(synchronize_session=False)
            ).all()
            if candidates
            else []
        )
    request_ids = {row.id: row.request_id for row in claimed}
    ids = [row_id for row_id in candidates if row_id in request_ids]  # oldest first
    queue_delivery(ids, request_ids)
    return ids
