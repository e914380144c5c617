from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..subjects import SubjectRef

PENDING, SENT, FAILED = "pending", "sent", "failed"
# A case's event for a recipient who chose the daily digest only: not emailed on its own (the
# digest tells of it), shown in the app like every other.
DIGEST_ONLY = "digest_only"


class Notification(SubjectRef, db.Model):
    """An email to send: the transactional outbox. Written in the same transaction as the
    change that causes it; delivered after commit; ends `sent`, or `failed` for an admin to
    retry. Its id travels in the email's headers so a duplicate delivery can be recognised."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notification_subject", "subject_kind", "subject_id"),
        # The bell's count of a user's unread events; the list and the digest, newest first.
        Index("ix_notification_recipient_unread", "recipient_id", "read_at"),
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        # A row that must exist once at most (a user's digest of a day), however many
        # workers write it at the same time.
        UniqueConstraint("dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))  # a trigger, or reminder|due|escalation…
    # The case it concerns (None: an account's email, such as a password reset).
    subject_kind: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_step.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="id")
    # The facts the email is rendered from, frozen when the event happened.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The request (or beat's task) that caused it: its deliveries log under this id, however
    # they were queued (after the commit, or later by the relay).
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The app's notifications: when the recipient opened it (None: unread).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The digest email (an outbox row itself) that told of this event, once one has.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(80))

    recipient: Mapped[User | None] = relationship()

    @classmethod
    def in_inbox_of(cls, user_id: int) -> ColumnElement[bool]:
        """The rows the app lists as `user_id`'s notifications: their cases' events (an
        account's email, such as a password reset or a digest, concerns no case)."""
        return and_(cls.recipient_id == user_id, cls.subject_kind.is_not(None))
