"""Request bodies of the API's writes on an action plan: the same fields, bounds and closed
lists as the web's forms (plans/forms.py), strictly (an unknown field is refused).

Checks that need the plan (a year within its period, an agency of its region, a value within
its indicator's unit) are made by the views; checks that need other plans (one live plan per
period) and the funding caps by the operations."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..number_input import MAX_AMOUNT
from ..plans.forms import FIRST_YEAR, LAST_YEAR, MAX_PERIOD_YEARS
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from .schemas import DECIMAL_PATTERN, MAX_ID, RegionCode, _no_nul

# The closed lists as enums, so the document lists their codes (GET /vocabularies has labels).
SubSector = StrEnum("SubSector", {code: code for code in SUB_SECTORS})  # type: ignore[misc]
ActivityType = StrEnum("ActivityType", {code: code for code in ACTIVITY_TYPES})  # type: ignore[misc]
FundingSource = StrEnum("FundingSource", {code: code for code in FUNDING_SOURCES})  # type: ignore[misc]

Version = Annotated[
    int,
    Field(ge=0, le=MAX_ID, description="The plan's version the caller read (409 stale if not)."),
]
PeriodYear = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
# Any year a plan's contents may name; the views hold it to the plan's period.
Year = Annotated[int, Field(ge=FIRST_YEAR - 20, le=LAST_YEAR)]
DecimalIn = Annotated[
    str,
    Field(
        pattern=DECIMAL_PATTERN,
        max_length=40,
        description='A decimal number as text: digits, a point, digits (e.g. "12.5").',
        examples=["12.5"],
    ),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def to_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# --- the header -------------------------------------------------------------------------------


class _Header(_Request):
    title: str = Field(min_length=1, max_length=300)
    period_start: PeriodYear
    period_end: PeriodYear

    _no_nul = field_validator("title")(_no_nul)
    _not_blank = field_validator("title")(_not_blank)

    @field_validator("period_end")
    @classmethod
    def _period(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("period_start")
        if start is None:
            return end
        if end < start:
            raise ValueError("the period cannot end before it starts")
        if end - start + 1 > MAX_PERIOD_YEARS:
            raise ValueError(f"a plan period lasts at most {MAX_PERIOD_YEARS} years")
        return end


class PlanCreateRequest(_Header):
    """A new plan, in the first state of its workflow, by a holder of the role that creates
    plans (the district drafter) in their district."""

    region: RegionCode | None = Field(
        default=None,
        description="The district; may be left out when the caller creates plans in one only.",
    )


class PlanHeaderRequest(_Header):
    """The plan's title and period. A new period drops the indicator targets of years outside
    it; activities scheduled or funded outside it must be changed first (409 conflict)."""

    version: Version


# --- challenges ---------------------------------------------------------------------------------


class ChallengesRequest(_Request):
    """All of the plan's challenges, in order (blank ones are dropped)."""

    version: Version
    items: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=100)

    @field_validator("items")
    @classmethod
    def _no_nul_items(cls, items: list[str]) -> list[str]:
        for text in items:
            _no_nul(text)
        return items


# --- indicators ---------------------------------------------------------------------------------


class TargetIn(_Request):
    year: Year
    value: DecimalIn


class IndicatorIn(_Request):
    name: str = Field(min_length=1, max_length=300)
    unit: str = Field(default="", max_length=40, description='"%" makes the values 0–100.')
    baseline_year: Year | None = None
    baseline_value: DecimalIn | None = Field(default=None, validate_default=True)
    targets: list[TargetIn] = Field(default_factory=list, max_length=MAX_PERIOD_YEARS)

    _no_nul = field_validator("name", "unit")(_no_nul)
    _not_blank = field_validator("name")(_not_blank)

    @field_validator("baseline_value")
    @classmethod
    def _baseline(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (value is None) != (info.data.get("baseline_year") is None):
            raise ValueError("give both the baseline year and its value, or neither")
        return value

    @field_validator("targets")
    @classmethod
    def _one_per_year(cls, targets: list[TargetIn]) -> list[TargetIn]:
        years = [t.year for t in targets]
        if len(set(years)) != len(years):
            raise ValueError("one target per year")
        return targets


class IndicatorsRequest(_Request):
    """All of the plan's indicators, in order, each with its targets by year."""

    version: Version
    items: list[IndicatorIn] = Field(max_length=50)


# --- activities ---------------------------------------------------------------------------------


class FundingIn(_Request):
    year: Year
    source: FundingSource
    amount: int = Field(ge=0, le=MAX_AMOUNT, description="Whole Rupiah.")


class ActivityRequest(_Request):
    """An activity with all its funding rows (rows of one year and source are added up)."""

    version: Version
    sub_sector: SubSector
    activity_type: ActivityType
    title: str = Field(min_length=1, max_length=300)
    location: str = Field(min_length=1, max_length=300, description="Kecamatan/desa.")
    volume: DecimalIn | None = None
    unit: str = Field(default="", max_length=40)
    agency_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The responsible agency (OPD): one of the plan's district or the province.",
    )
    start_year: Year
    end_year: Year
    funding: list[FundingIn] = Field(default_factory=list, max_length=80)

    _no_nul = field_validator("title", "location", "unit")(_no_nul)
    _not_blank = field_validator("title", "location")(_not_blank)

    @field_validator("end_year")
    @classmethod
    def _schedule(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("start_year")
        if start is not None and end < start:
            raise ValueError("the activity cannot end before it starts")
        return end


class VersionQuery(_Request):
    version: int = Field(ge=0, le=MAX_ID, description="The plan's version the caller read.")


class ExportQuery(_Request):
    format: Literal["xlsx", "csv"] = Field(
        default="xlsx",
        description="xlsx: the plan, challenges, indicators, activities and funding (the "
        "activities in the import template's layout, so the file imports again); csv: one row "
        "per funding line, the activity's columns repeated.",
    )
    dialect: Literal["standard", "id"] = Field(
        default="standard",
        description="CSV only: id for Excel under Indonesian settings (semicolons, decimal comma).",
    )
