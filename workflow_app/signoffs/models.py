from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..subjects import SubjectRef


class SignOff(SubjectRef, db.Model):
    """One participant's opinion during one stay of a case in a sign-off state.

    The rows are opened when the case enters the state (one per participant, fixed then, so
    the quorum counts against who was asked) and keep their answers afterwards as a record.
    """

    __tablename__ = "sign_off"
    __table_args__ = (
        UniqueConstraint("entry_id", "participant_id"),
        Index("ix_sign_off_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The history row that entered the state: a later stay asks everyone again.
    entry_id: Mapped[int] = mapped_column(ForeignKey("plan_transition.id"), index=True)
    state: Mapped[str] = mapped_column(String(40))
    participant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(20))  # agree | object
    comment: Mapped[str | None] = mapped_column(Text)
    # Who gave the answer: the participant, someone acting for them (Plt/Plh), or the system
    # when a step counts silence as agreement.
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[User] = relationship(foreign_keys=[participant_id], lazy="joined")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
