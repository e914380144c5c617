"""The webhook relay: queue again the deliveries still pending a while after they were due
(the broker was down, a worker died), as the email outbox's relay does, with its grace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models_base import utcnow
from ..notifications.relay import BATCH, stale_cutoff
from ..unit_of_work import unit_of_work
from .dispatch import queue_deliveries
from .models import PENDING, WebhookDelivery


def requeue_stale(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Queue the stale pending deliveries (oldest first, at most `limit`); their ids. Each is
    claimed by moving its time, only if still stale: one leased meanwhile is left alone."""
    now = now or utcnow()
    cutoff = stale_cutoff(now)
    stale = (WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at < cutoff)
    with unit_of_work():
        candidates = db.session.scalars(
            select(WebhookDelivery.id)
            .where(*stale)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        ).all()
        claimed = (
            set(
                db.session.scalars(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(candidates), *stale)
                    .values(next_attempt_at=now)
                    .returning(WebhookDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
            if candidates
            else set()
        )
    ids = [delivery_id for delivery_id in candidates if delivery_id in claimed]
    queue_deliveries(ids)
    return ids
