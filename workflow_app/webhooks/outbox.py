"""Writing deliveries in the change's own transaction, and queuing them after its commit
(a rolled-back change sends nothing; a committed one is never lost: the relay finds it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exists, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..changes.models import ChangeEvent
from ..changes.recording import on_recorded
from ..extensions import db
from ..models_base import utcnow
from ..unit_of_work import on_settled
from .dispatch import queue_deliveries
from .models import PENDING, Webhook, WebhookDelivery

SESSION_KEY = "webhook_deliveries_new"


@on_recorded(only_if=exists().where(Webhook.active.is_(True)))
def write_deliveries(connection: Connection, events: list[dict[str, Any]]) -> None:
    """One delivery per event and active webhook wanting its type: one INSERT … SELECT.
    Not run when no webhook is active (the events' INSERT reads it, in the same transaction,
    whichever process created the webhook): nothing to write, no round trip."""
    now = utcnow()
    table = WebhookDelivery.__table__
    wanted = (
        select(
            Webhook.id,
            ChangeEvent.id,
            literal(PENDING),
            literal(0),
            literal(now, WebhookDelivery.next_attempt_at.type),
            literal(now, WebhookDelivery.created_at.type),
        )
        .select_from(Webhook)
        .join(
            ChangeEvent,
            Webhook.event_types.contains(literal(",") + ChangeEvent.type + literal(",")),
        )
        .where(Webhook.active.is_(True), ChangeEvent.id.in_([e["id"] for e in events]))
        .order_by(ChangeEvent.id, Webhook.id)
    )
    columns = ["webhook_id", "event_id", "status", "attempts", "next_attempt_at", "created_at"]
    ids = (
        connection.execute(insert(table).from_select(columns, wanted).returning(table.c.id))
        .scalars()
        .all()
    )
    if ids:
        db.session.info.setdefault(SESSION_KEY, []).extend(ids)


@on_settled
def _queue_after_commit(committed: bool) -> None:
    ids = db.session.info.pop(SESSION_KEY, [])
    if committed:
        queue_deliveries(sorted(ids))


@event.listens_for(db.session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(SESSION_KEY, None)
