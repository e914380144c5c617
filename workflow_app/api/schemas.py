"""Request and response bodies of the API, as pydantic models: they validate what comes in,
shape what goes out, and give the OpenAPI document its JSON Schemas (api/openapi.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from ..plans.forms_actions import COMMENT_MAX_LENGTH
from ..security.ids import MAX_ID
from .errors import ErrorCode

MAX_PAGE = 100
DEFAULT_PAGE = 50
MAX_OFFSET = 1_000_000

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{2,10}$", description="e.g. 6301")]
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_text(value: Decimal) -> str:
    """Positional notation always (never "1E+2"), so the text matches DECIMAL_PATTERN."""
    return format(value, "f")


# A decimal in a response: exact, as text with a point ("12.50"), never a float.
DecimalText = Annotated[
    Decimal,
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DECIMAL_PATTERN,
            "description": "A decimal number as text, exact: digits, a point, digits "
            '(e.g. "12.50"); never in exponent notation.',
            "examples": ["12.50"],
        },
        mode="serialization",
    ),
]
StateName = Annotated[str, Field(pattern=r"^[a-z_]{1,40}$", description="e.g. draft")]


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# --- errors ------------------------------------------------------------------------------


class Problem(BaseModel):
    """One thing that blocks an action."""

    field: str | None = Field(
        description="What it is about, as the bodies name it: a list of the case "
        '("activities"), an item of one by its place ("indicators[2].target_2027", '
        '"activities[0].agency_id", "lines[1]"), a declared field ("values.members"); null: '
        "the case as a whole.",
        examples=["indicators[2].target_2027"],
    )
    code: str = Field(
        description="A stable word for the kind of problem, e.g. no_activities, "
        "activity_without_agency, activity_without_funding, indicator_without_baseline, "
        "indicator_without_target, line_incomplete, required, too_few_rows, incomplete.",
        examples=["indicator_without_target"],
    )
    message: str = Field(description="For people, in English.")


class ErrorBody(BaseModel):
    """Every error. `code` is stable: branch on it, not on `message`."""

    code: ErrorCode
    message: str
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Field errors: the field's path → its messages."
    )
    problems: list[Problem] = Field(
        default_factory=list, description="What blocks the action (guard_failed)."
    )
    current_version: int | None = Field(
        default=None,
        description="stale only: the case's version now (send it after re-reading the case).",
    )
    current_state: str | None = Field(default=None, description="stale only: its state now.")


# --- requests ----------------------------------------------------------------------------


class PlanQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    region: RegionCode | None = None
    state: StateName | None = None
    year: int | None = Field(
        default=None, ge=1900, le=2200, description="Only plans whose period covers this year."
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class CaseQuery(BaseModel):
    """The filters of a list of declared cases. The kind's own filter fields (its
    `case.filters`, e.g. `decree_kind`) are further parameters, compared as text."""

    model_config = ConfigDict(extra="allow")

    region: RegionCode | None = None
    state: StateName | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class PageQuery(BaseModel):
    """A page of a list: at most `limit` items from position `offset` (0: the first) of the
    list's stable order; the answer's `total` says how many there are in all."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class TransitionRequest(BaseModel):
    """Fire an action. `version` is the version the caller last read: if the plan (or report)
    changed since, nothing happens and the answer is 409 `stale`."""

    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(min_length=1, max_length=40, examples=["submit"])
    comment: str | None = Field(default=None, max_length=COMMENT_MAX_LENGTH)
    version: int = Field(ge=0, le=MAX_ID)

    _no_nul = field_validator("trigger", "comment")(_no_nul)


class SignOffRequest(BaseModel):
    """A participant's opinion on a case's open sign-off (or that of the one they act for)."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["agree", "object"]
    comment: str | None = Field(default=None, max_length=COMMENT_MAX_LENGTH)

    _no_nul = field_validator("comment")(_no_nul)


class SignOffResult(BaseModel):
    answer: str
    agreed: int
    objected: int
    fired: str | None = Field(description="The outcome the system fired, if the answer decided")
    state: str
    version: int


class CaseOpenRequest(BaseModel):
    """Open a case of a declared kind, in its first state, with the values its creator may
    give (a file is uploaded on the case's page, never sent as JSON)."""

    model_config = ConfigDict(extra="forbid")

    region: RegionCode | None = Field(
        default=None,
        description="Where; may be left out when the caller opens cases in one region only.",
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Field name → value, as the case's `values` show them: a decimal as a number or "
            'as text ("12,5"), a date as "YYYY-MM-DD", a district by its code, an agency or '
            "a plan by its id, a table as a list of row objects."
        ),
    )


class CaseChangeRequest(BaseModel):
    """Change values of a declared case, on the version the caller read (409 `stale` if it
    changed since). Fields left out stay as they are; null clears one."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=MAX_ID)
    values: dict[str, Any] = Field(description="Field name → new value (see CaseOpenRequest).")


# --- responses ---------------------------------------------------------------------------


class Label(BaseModel):
    id: str = Field(description="Indonesian")
    en: str = Field(description="English")


class RegionRef(BaseModel):
    code: str
    name: str


class UserRef(BaseModel):
    username: str
    full_name: str


class AvailableTransition(BaseModel):
    trigger: str
    label: Label
    to_state: str
    comment_required: bool
    confirm: bool = Field(
        description="A decision that cannot be undone: ask the user to confirm it (telling them "
        "`consequence`) before firing it."
    )
    consequence: Label | None = Field(
        default=None, description="What will happen when it is fired, as the definition says it."
    )
    problems: list[Problem] = Field(description="What blocks it now; empty when it can be fired.")


class TransitionOptions(BaseModel):
    items: list[AvailableTransition]


class PlanSummary(BaseModel):
    id: int
    title: str
    region: RegionRef
    period_start: int
    period_end: int
    state: str
    state_label: Label
    version: int
    due_at: datetime | None
    updated_at: datetime


class PlanList(BaseModel):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int


class Target(BaseModel):
    year: int
    value: DecimalText


class IndicatorOut(BaseModel):
    id: int
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: DecimalText | None
    targets: list[Target]


class FundingOut(BaseModel):
    year: int
    source: str
    amount: int = Field(description="Whole Rupiah.")


class AgencyRef(BaseModel):
    id: int
    short_name: str
    name: str


class ActivityOut(BaseModel):
    id: int
    title: str
    sub_sector: str
    activity_type: str
    location: str
    volume: DecimalText | None
    unit: str
    agency: AgencyRef | None
    start_year: int
    end_year: int
    funding: list[FundingOut]


class PlanDetail(PlanSummary):
    workflow: str
    workflow_version: int
    created_at: datetime
    challenges: list[str]
    indicators: list[IndicatorOut]
    activities: list[ActivityOut]
    transitions: list[AvailableTransition]


class HistoryEntry(BaseModel):
    id: int
    at: datetime
    trigger: str
    from_state: str | None
    to_state: str
    actor: UserRef
    acting_for: UserRef | None
    role: str
    comment: str | None
    report_id: int | None


class Paged(BaseModel):
    """What every paged list answers besides its `items` (see PageQuery)."""

    total: int = Field(description="How many items the whole list has.")
    limit: int
    offset: int


class History(Paged):
    """A page of a case's own history, oldest first."""

    items: list[HistoryEntry]


class TransitionResult(BaseModel):
    history: HistoryEntry
    state: str
    version: int = Field(description="The new version: send it with the next action.")


class ReportSummary(BaseModel):
    id: int
    plan_id: int
    year: int
    quarter: int
    state: str
    state_label: Label
    version: int
    due_at: datetime | None
    submitted_at: datetime | None


class ReportList(Paged):
    """A page of a plan's reports, by year and quarter."""

    items: list[ReportSummary]


class ReportLineOut(BaseModel):
    id: int = Field(description="The line's own id: an evidence file's `line_id`.")
    activity_id: int
    activity_title: str
    physical_progress: DecimalText | None = Field(description="Percent, cumulative in the year.")
    spent: int | None = Field(description="Whole Rupiah, cumulative in the year.")
    budget: int
    spent_percent: DecimalText | None
    output_achieved: DecimalText | None
    obstacles: str
    follow_up: str


class IndicatorValueOut(BaseModel):
    indicator_id: int
    name: str
    value: DecimalText


class ReportDetail(ReportSummary):
    region: RegionRef
    lines: list[ReportLineOut]
    indicator_values: list[IndicatorValueOut]
    transitions: list[AvailableTransition]
    history: list[HistoryEntry]


class Task(BaseModel):
    """A plan or a report waiting for the caller: `kind` says which of `plan` and `report`
    it carries (the other is null)."""

    kind: Literal["plan", "report"]
    plan: PlanSummary | None = None
    report: ReportSummary | None = None
    actions: list[str] = Field(description="The actions the caller may take on it now.")


class TaskList(Paged):
    """A page of the caller's tasks, the earliest due first (those without a deadline last),
    plans before reports due at the same moment."""

    items: list[Task]


class CaseSummary(BaseModel):
    """A case of a kind declared as data (a definition's `case:` block)."""

    id: int
    kind: str
    title: str
    region: RegionRef
    state: str
    state_label: Label
    version: int
    due_at: datetime | None
    updated_at: datetime
    values: dict[str, Any] = Field(
        description="The fields the kind's lists show (its `case.list`), as stored."
    )


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class CaseDetail(CaseSummary):
    workflow: str
    workflow_version: int
    created_at: datetime
    values: dict[str, Any] = Field(
        description=(
            "Every field of the kind, as stored (null when blank): a decimal as text "
            '("12.5"), a date as "YYYY-MM-DD", a district by its code, an agency or a plan by '
            "its id, a table as a list of row objects, a file as {name, type, size, sha256}."
        )
    )
    editable: list[str] = Field(description="The fields the caller may change now (PATCH).")
    transitions: list[AvailableTransition]
