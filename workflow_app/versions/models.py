from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class WorkflowVersion(db.Model):
    """A definition version as it was when a case first used it: its canonical content and
    that content's hash. A file that no longer matches is refused at start-up."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of the parsed definition
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
