"""The cases of every kind declared as data, in one table: their field values as JSON.

A case keeps the definition version it started under (`workflow_version`); its `values` are
read and written by that version's `case:` fields, so a later version with other fields never
misreads a running case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, and_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..history import CaseRecord, CaseTransition
from ..models_base import UTCDateTime, utcnow
from ..regions.models import Region

#: JSON on SQLite, JSONB on PostgreSQL (indexable, compared by value).
JSON_VALUES = JSON().with_variant(JSONB(), "postgresql")


class DeclaredCase(CaseRecord, db.Model):
    """A case of a kind declared in a definition's `case:` block. `state` is set only by the
    one door, firing.fire."""

    __tablename__ = "declared_case"
    __table_args__ = (Index("ix_declared_case_kind_region", "kind", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The kind's name (its definition's name): stored in the core's rows too, never renamed.
    kind: Mapped[str] = mapped_column(String(40))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    values: Mapped[dict[str, Any]] = mapped_column(JSON_VALUES, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    region: Mapped[Region] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    @property
    def declared_kind(self) -> str:
        """The kind it belongs to (subjects.kind_of asks, as several kinds share the table)."""
        return self.kind

    history: Mapped[list[CaseTransition]] = relationship(  # type: ignore[assignment]
        CaseTransition,
        primaryjoin=lambda: and_(
            CaseTransition.subject_kind == DeclaredCase.kind,
            CaseTransition.subject_id == DeclaredCase.id,
        ),
        foreign_keys=lambda: [CaseTransition.subject_kind, CaseTransition.subject_id],
        order_by=lambda: CaseTransition.id,
        viewonly=True,
    )


class CaseComment(db.Model):
    """A reviewer's remark on a declared case as a whole, on one of its fields, or on one
    row of a table field. `item_label` keeps what the row was called when written (rows
    may be removed or reordered later)."""

    __tablename__ = "case_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("declared_case.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str | None] = mapped_column(String(40))  # None: the case as a whole
    row: Mapped[int | None] = mapped_column(Integer)  # a table field's row, from 0
    item_label: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(40))  # the case's state when written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
