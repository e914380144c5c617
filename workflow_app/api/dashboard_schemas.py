"""Bodies of /api/v1/dashboard: the web dashboard's figures as numbers (decimals as text)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..plans.forms import FIRST_YEAR, LAST_YEAR
from ..plans.vocabulary import SUB_SECTORS
from .export_query import ExportQuery
from .schemas import DecimalText, Label, RegionCode, RegionRef

SubSector = Literal[tuple(SUB_SECTORS)]  # the closed list's codes
TableName = Literal["plans_by_state", "overdue", "realisation", "trajectories", "funding"]


class DashboardQuery(BaseModel):
    """The web dashboard's filter. A district must be one the caller may see."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None,
        ge=FIRST_YEAR,
        le=LAST_YEAR,
        description="The reporting year (realisation, achieved values); this year by default.",
    )
    district: RegionCode | None = None
    sub_sector: SubSector | None = Field(  # type: ignore[valid-type]
        default=None,
        description="A sub-sector code (GET /vocabularies): realisation and funding only.",
    )


class DashboardExportQuery(DashboardQuery, ExportQuery):
    table: TableName | None = Field(
        default=None,
        description="CSV only, and required there: the one table the file holds.",
    )


class StateColumn(BaseModel):
    name: str
    label: Label


class Filters(BaseModel):
    year: int
    district: str | None
    sub_sector: str | None


class PlansByState(BaseModel):
    region: str
    counts: dict[str, int] = Field(
        description="State name → plans in it (states with none left out)."
    )
    total: int


class OverdueRow(BaseModel):
    region: str
    plans: int
    plans_days: int = Field(description="The longest plan delay, in working days.")
    reports: int
    reports_days: int = Field(description="The longest report delay, in working days.")


class RealisationRow(BaseModel):
    region: str
    year: int
    quarter: int
    budget: int = Field(description="Whole Rupiah.")
    spent: int | None = Field(description="Whole Rupiah; null when no line reported spending.")
    physical: DecimalText | None = Field(description="Physical progress, percent.")
    financial: DecimalText | None = Field(description="Spent against the budget, percent.")


class YearValue(BaseModel):
    year: int
    value: DecimalText


class Achieved(YearValue):
    quarter: int = Field(description="The quarter of the latest counted report of the year.")


class TrajectoryPlan(BaseModel):
    id: int
    title: str
    state: str


class Trajectory(BaseModel):
    region: str
    plan: TrajectoryPlan
    indicator_id: int
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: DecimalText | None
    targets: list[YearValue]
    achieved: list[Achieved]


class FundingAmount(BaseModel):
    source: str
    year: int
    amount: int = Field(description="Whole Rupiah.")


class Funding(BaseModel):
    """The visible agreed plans' funding (approved, monitored, closed)."""

    sources: list[str]
    years: list[int]
    amounts: list[FundingAmount]
    total: int


class NationalTarget(BaseModel):
    value: DecimalText
    year: int


class DeclaredCount(BaseModel):
    region: str
    state: str
    count: int


class OverdueCase(BaseModel):
    id: int
    title: str
    region: str
    state: str
    due_at: datetime
    working_days: int = Field(description="Working days overdue.")


class DeclaredKind(BaseModel):
    """A kind declared as data: its visible cases by region and state, and those overdue."""

    kind: str
    label: Label
    states: list[StateColumn]
    regions: list[RegionRef]
    counts: list[DeclaredCount]
    total: int
    overdue: list[OverdueCase] = Field(description="The longest overdue first, at most 50.")
    overdue_total: int


class Dashboard(BaseModel):
    filters: Filters
    partner_only: bool = Field(
        description="The caller sees as a partner only: published plans, verified reports."
    )
    districts: list[RegionRef] = Field(description="The rows: the districts the caller may see.")
    states: list[StateColumn] = Field(description="The plan states, in the charts' order.")
    plans_by_state: list[PlansByState]
    state_totals: dict[str, int]
    plans_total: int
    overdue: list[OverdueRow]
    realisation: list[RealisationRow]
    trajectories: list[Trajectory]
    funding: Funding
    national_target: NationalTarget
    declared: list[DeclaredKind]
