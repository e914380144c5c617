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
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from ..accounts.models import User
from ..audit.chain import link_row
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..regions.models import Agency, Region


class ActionPlan(db.Model):
    """A region's Rencana Aksi for a period. `state` is set only by plans.operations.transition."""

    __tablename__ = "action_plan"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(40), index=True)
    workflow_name: Mapped[str] = mapped_column(String(80))
    workflow_version: Mapped[int] = mapped_column(Integer)
    # Optimistic lock: every UPDATE checks and bumps it, so two concurrent writers cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the current state's service level runs out (None: the state has no deadline).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}

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
    # The plan's own steps; its quarterly reports' steps share the table (report_id set).
    history: Mapped[list[PlanTransition]] = relationship(
        primaryjoin="and_(PlanTransition.plan_id == ActionPlan.id, "
        "PlanTransition.report_id.is_(None))",
        order_by="PlanTransition.id",
        viewonly=True,
    )

    @property
    def years(self) -> list[int]:
        return list(range(self.period_start, self.period_end + 1))

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"


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


class PlanTransition(db.Model):
    """One step in a plan's history, or in one of its progress reports' (`report_id` set; the
    states and version are then the report's). Append-only: never updated or deleted."""

    __tablename__ = "plan_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("progress_report.id"), index=True)
    workflow_version: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(40))  # None: the plan was created
    to_state: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The plan's hash chain (audit/chain.py): the previous row's hash (None: the first row)
    # and this row's, over its content and prev_hash. Filled by the before_insert hook below.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    plan: Mapped[ActionPlan] = relationship()
    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


@event.listens_for(PlanTransition, "before_insert")
def _link_into_chain(mapper: object, connection: Connection, target: PlanTransition) -> None:
    # Here rather than at the creation sites, so none of them can forget it. The rows of the
    # same flush are linked one by one before any of them is inserted: pass them along.
    if target.created_at is None:  # the column default would come after hashing
        target.created_at = utcnow()
    session = object_session(target)
    pending = [row for row in session.new if isinstance(row, PlanTransition)] if session else []
    link_row(connection, target, pending)


@event.listens_for(PlanTransition, "before_update")
@event.listens_for(PlanTransition, "before_delete")
def _history_is_append_only(mapper: object, connection: object, target: PlanTransition) -> None:
    raise PermissionError("plan history is append-only")
