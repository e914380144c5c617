"""Quarterly progress reports (laporan triwulan) of monitored plans.

A report runs under its own workflow definition (`workflows/progress_report.yaml`); its history
rows name the report and join the plan's audit chain (monitoring/kind.py), so one append-only
trail tells everything that happened to a plan and its reports.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..history import CaseRecord
from ..models_base import UTCDateTime, utcnow
from ..plans.models import ActionPlan, Activity, Indicator
from .quarters import Quarter

REPORT_KIND_NAME = "report"  # the name reports are registered under (monitoring/kind.py)


class ProgressReport(CaseRecord, db.Model):
    """One plan's report for one quarter (triwulan 1–4 of a year)."""

    __tablename__ = "progress_report"
    CASE_KIND = REPORT_KIND_NAME
    __table_args__ = (
        UniqueConstraint("plan_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        # A scope's reports in one state (My tasks) without reading every report of its plans.
        Index("ix_progress_report_plan_id_state", "plan_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    # For a report that is due, `state_entered_at` is the end of its quarter's last working
    # day: the deadline counts from the quarter's end however late the report row was opened.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[ActionPlan] = relationship(lazy="joined")
    lines: Mapped[list[ReportLine]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportLine.position"
    )
    indicator_values: Mapped[list[ReportIndicatorValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportAttachment.id"
    )

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def period_label(self) -> str:
        return self.period.label

    def line_for(self, activity_id: int) -> ReportLine | None:
        return next((line for line in self.lines if line.activity_id == activity_id), None)


class ReportLine(db.Model):
    """One activity's realisation up to the end of the report's quarter, cumulative within the
    year (realisasi kumulatif): physical progress, money spent and output achieved."""

    __tablename__ = "report_line"
    __table_args__ = (
        UniqueConstraint("report_id", "activity_id"),
        CheckConstraint(
            "physical_progress IS NULL OR (physical_progress >= 0 AND physical_progress <= 100)",
            name="progress_range",
        ),
        CheckConstraint("spent IS NULL OR spent >= 0", name="spent_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    physical_progress: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent
    spent: Mapped[int | None] = mapped_column(BigInteger)  # whole Rupiah, this year so far
    # The year's budget of the activity when the line was written (all sources), so the
    # percentage stays what it was even if funding rows change later.
    budget: Mapped[int] = mapped_column(BigInteger, default=0)
    output_achieved: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # in activity.unit
    obstacles: Mapped[str] = mapped_column(Text, default="")  # kendala
    follow_up: Mapped[str] = mapped_column(Text, default="")  # tindak lanjut

    report: Mapped[ProgressReport] = relationship(back_populates="lines")
    activity: Mapped[Activity] = relationship(lazy="joined")
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="line", viewonly=True, order_by="ReportAttachment.id"
    )

    @property
    def spent_percent(self) -> Decimal | None:
        """Money spent as a share of the year's budget, or None without a budget."""
        if self.spent is None or not self.budget:
            return None
        return (Decimal(self.spent) * 100 / Decimal(self.budget)).quantize(Decimal("0.1"))


class ReportIndicatorValue(db.Model):
    """A plan indicator's achieved value as measured for the report's quarter (capaian)."""

    __tablename__ = "report_indicator_value"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))

    report: Mapped[ProgressReport] = relationship(back_populates="indicator_values")
    indicator: Mapped[Indicator] = relationship(lazy="joined")


class ReportAttachment(db.Model):
    """Evidence for a report line (a PDF or an image), stored on disk under a generated name.

    `original_name` is shown and offered as the download name only; the file on disk is
    `stored_name` in the attachments folder, never a name a user chose.
    """

    __tablename__ = "report_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_line.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[ProgressReport] = relationship(back_populates="attachments")
    line: Mapped[ReportLine | None] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User] = relationship()
