from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

ITEM_TYPES = ("plan", "challenge", "indicator", "activity")


class ReviewComment(db.Model):
    """A reviewer's remark on the plan as a whole or on one of its items.

    `item_id` points at a row the drafter may later replace (challenges and indicators are
    saved as a whole list), so `item_label` keeps the item's name as it was when written.
    """

    __tablename__ = "review_comment"
    __table_args__ = (
        CheckConstraint(
            "item_type IN ('plan', 'challenge', 'indicator', 'activity')", name="item_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    item_type: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(Integer)  # None: the plan as a whole
    item_label: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(40))  # the plan's state when written
    # The review round: how many times the plan had been submitted when this was written.
    round: Mapped[int] = mapped_column(Integer, default=0)
    # Marked resolved by a reviewer of the stage that wrote it (None: still open).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="joined")
    replies: Mapped[list[ReviewReply]] = relationship(
        back_populates="comment", order_by="ReviewReply.id", lazy="selectin"
    )

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ReviewReply(db.Model):
    """An answer in a comment's thread: by the plan's editor while the plan is with them, or
    by the reviewer who may comment now. `role` is the role written under (the editor's
    answers are what "answered" counts); `acting_for_id` names the absent holder (Plt/Plh)."""

    __tablename__ = "review_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("review_comment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(40))  # the plan's state when written

    comment: Mapped[ReviewComment] = relationship(back_populates="replies")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


class PlanSnapshot(db.Model):
    """The plan's contents as plain JSON at one submission (see snapshots.snapshot_data)."""

    __tablename__ = "plan_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("plan_transition.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
