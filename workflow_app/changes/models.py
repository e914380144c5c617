"""The change_event table: one row per change of a case, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime
from ..subjects import SubjectRef

CREATED, UPDATED, TRANSITIONED = "case.created", "case.updated", "case.transitioned"
EVENT_TYPES = (CREATED, UPDATED, TRANSITIONED)


class ChangeEvent(SubjectRef, db.Model):
    """A change of a case as integrators see it. `txid` orders the feed by commit: on
    PostgreSQL the writing transaction's id (an id taken earlier may commit later, the
    transaction id tells the reader to wait for it); on SQLite, where writers are serialized,
    0, and the id alone orders."""

    __tablename__ = "change_event"
    __table_args__ = (
        Index("ix_change_event_order", "txid", "id"),
        Index("ix_change_event_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)  # the case's version after the change
    state: Mapped[str] = mapped_column(String(40))  # its state after the change
    # Who made the change (None: an update outside any request, e.g. a command) and for whom.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id])
