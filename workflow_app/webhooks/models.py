"""The webhook and webhook_delivery tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..changes.models import EVENT_TYPES, ChangeEvent
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"
RESPONSE_LENGTH = 500  # of a receiver's answer, kept for the admin; no more


def types_text(types: list[str] | tuple[str, ...]) -> str:
    """The event types as stored: ",case.created,case.transitioned," (a LIKE finds one)."""
    return "," + ",".join(t for t in EVENT_TYPES if t in types) + ","


class Webhook(db.Model):
    """An endpoint an admin registered. The secret signs every request; it is kept as given
    (an HMAC needs it) and shown only when made."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def types(self) -> list[str]:
        return [t for t in self.event_types.split(",") if t]


class WebhookDelivery(db.Model):
    """One event to one endpoint: the outbox of webhooks. Its id is the request's
    `webhook-id`, the same on every attempt, so a receiver can drop a duplicate."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("change_event.id"))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(String(RESPONSE_LENGTH))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    webhook: Mapped[Webhook] = relationship()
    event: Mapped[ChangeEvent] = relationship()

    @property
    def message_id(self) -> str:
        return message_id(self.id)


def message_id(delivery_id: int) -> str:
    return f"msg_{delivery_id}"
