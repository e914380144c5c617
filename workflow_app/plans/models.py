from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
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
from ..models_base import UTCDateTime
from ..regions.models import Agency, Region

PLAN_KIND_NAME = "plan"  # the name plans are registered under (plans/kind.py)


class ActionPlan(CaseRecord, db.Model):
    """A region's Rencana Aksi for a period. `state` is set only by the one door, firing.fire."""

    __tablename__ = "action_plan"
    CASE_KIND = PLAN_KIND_NAME  # its history: its own rows (its reports' join its chain)
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # When the current state's service level runs out (None: the state has no deadline).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    region: Mapped[Region] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    challenges: Mapped[list[Challenge]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Challenge.position"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Indicator.position"
    )
    activities: Mapped[list[Activity]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Activity.position"
    )
    # The years of its district this plan holds while it is live (plans/live_period.py).
    live_years: Mapped[list[LivePlanYear]] = relationship(
        cascade="all, delete-orphan", order_by="LivePlanYear.year"
    )

    @property
    def years(self) -> list[int]:
        return list(range(self.period_start, self.period_end + 1))

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"


class LivePlanYear(db.Model):
    """One year of a district held by its live plan: the primary key lets no second live plan
    of the district cover that year, whatever the database and however many ask at once."""

    __tablename__ = "live_plan_year"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )


class Challenge(db.Model):
    """A problem the district identified (permasalahan)."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text)

    plan: Mapped[ActionPlan] = relationship(back_populates="challenges")


class Indicator(db.Model):
    """An indicator with its baseline (year, value) and a target per year of the plan period."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))

    plan: Mapped[ActionPlan] = relationship(back_populates="indicators")
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        order_by="IndicatorTarget.year",
        lazy="selectin",
    )

    def target_for(self, year: int) -> Decimal | None:
        return next((t.value for t in self.targets if t.year == year), None)


class IndicatorTarget(db.Model):
    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Activity(db.Model):
    """A planned activity (kegiatan) with its location, agency, schedule and funding."""

    __tablename__ = "activity"
    __table_args__ = (CheckConstraint("end_year >= start_year", name="schedule_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    sub_sector: Mapped[str] = mapped_column(String(40))
    activity_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    location: Mapped[str] = mapped_column(String(300))  # kecamatan/desa
    volume: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    unit: Mapped[str] = mapped_column(String(40), default="")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)

    plan: Mapped[ActionPlan] = relationship(back_populates="activities")
    agency: Mapped[Agency | None] = relationship(lazy="joined")
    funding: Mapped[list[Funding]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="(Funding.year, Funding.source)",
        lazy="selectin",
    )

    @property
    def total_funding(self) -> int:
        return sum(f.amount for f in self.funding)


class Funding(db.Model):
    """Money for one activity, one year, one source, in whole Rupiah."""

    __tablename__ = "funding"
    __table_args__ = (
        UniqueConstraint("activity_id", "year", "source"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)

    activity: Mapped[Activity] = relationship(back_populates="funding")
