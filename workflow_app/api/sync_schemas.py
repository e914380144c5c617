"""Bodies of /api/v1/sync: the provincial sync workspace, district by district."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .dashboard_schemas import FundingAmount, NationalTarget, YearValue
from .schemas import DecimalText, PlanSummary, RegionRef, StateName


class SyncQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: StateName | None = Field(
        default=None,
        description="Only districts whose plan is in this state; `none`: those without a plan.",
    )


class Due(BaseModel):
    due_at: datetime
    status: Literal["ahead", "today", "overdue"]
    working_days: int = Field(description="Working days left (ahead) or overdue; 0 today.")


class FlagOut(BaseModel):
    """A finding the province looks at: `unfunded` activities, a target `below_baseline` or
    `below_previous`, `duplicate` activities (same type and place)."""

    kind: str
    activity_ids: list[int]
    titles: list[str]
    indicator: str
    year: int | None
    value: DecimalText | None
    reference: DecimalText | None = Field(description="The baseline or previous target.")
    reference_year: int | None
    activity_type: str
    location: str


class SyncTrajectory(BaseModel):
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: DecimalText | None
    targets: list[YearValue]


class SyncDistrict(BaseModel):
    region: RegionRef
    plan: PlanSummary | None = Field(
        description="The plan waiting at the province (in a state tagged sync), else the "
        "district's latest plan that is not cancelled; null when it has none."
    )
    waiting: bool = Field(description="The plan waits at the province (a state tagged sync).")
    actions: list[str] = Field(
        description="The actions the caller may take on a waiting plan from the workspace."
    )
    due: Due | None
    flags: list[FlagOut]
    trajectory: SyncTrajectory | None
    funding: list[FundingAmount]
    total: int = Field(description="The plan's funding, whole Rupiah.")


class SyncOverview(BaseModel):
    districts: list[SyncDistrict]
    sources: list[str] = Field(description="The funding sources present, in vocabulary order.")
    years: list[int]
    total: int = Field(description="The funding of the districts shown, whole Rupiah.")
    national_target: NationalTarget
