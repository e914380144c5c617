"""The cases of every kind declared as data, in one table: their field values as JSON.

A case keeps the definition version it started under (`workflow_version`); its `values` are
read and written by that version's `case:` fields, so a later version with other fields never
misreads a running case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, and_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..history import CaseRecord, CaseTransition
from ..models_base import UTCDateTime
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
