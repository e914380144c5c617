from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..subjects import SubjectRef


class CalendarOverride(db.Model):
    """A date an administrator declared a holiday (`is_holiday`) or a working day after all."""

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_holiday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduledStep(SubjectRef, db.Model):
    """One escalation step of one stay of a case in a state, due at `fire_at`.

    The unique key (state entry, step) and the pending → done update make a step fire once,
    however many sweeps run. The sweep reads pending steps through (status, fire_at).
    """

    __tablename__ = "scheduled_step"
    __table_args__ = (
        UniqueConstraint("entry_id", "step"),
        Index("ix_scheduled_step_status_fire_at", "status", "fire_at"),
        Index("ix_scheduled_step_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The history row that entered the state: a later stay in the same state is another entry.
    entry_id: Mapped[int] = mapped_column(ForeignKey("plan_transition.id"))
    state: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|cancelled
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A step of one participant's sign-off (its `step` is then "<name>:<sign-off id>", so that
    # the key above stays one row per participant and step).
    sign_off_id: Mapped[int | None] = mapped_column(ForeignKey("sign_off.id"))
