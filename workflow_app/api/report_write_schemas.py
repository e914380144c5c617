"""Bodies of the API's writes on a progress report: its figures (as the report page's form
has them), its evidence files and its spreadsheet exports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ..monitoring.operations import TEXT_LENGTH
from ..number_input import DECIMAL, MAX_AMOUNT, PERCENT, NumberError, NumberKind, check_number
from ..security.ids import MAX_ID
from .blueprint import UploadedFile
from .schemas import DECIMAL_PATTERN, RegionCode, StateName, UserRef, _no_nul

# Most lines and indicator values one request may carry (a plan has at most 2,000 activities).
MAX_LINES = 2000
MAX_INDICATORS = 500

# An id as the key of a JSON object: digits only, no sign, no leading zero ("03" and "3"
# must not both name activity 3).
IdKey = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")]
DecimalIn = Annotated[
    str,
    Field(
        pattern=DECIMAL_PATTERN,
        max_length=40,
        description='A decimal number as text: digits, a point, digits (e.g. "12.50").',
        examples=["12.50"],
    ),
]
# A percentage of progress: as a decimal, with at most two decimals, as the report page takes it.
PercentIn = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+(\.[0-9]{1,2})?$",
        max_length=40,
        description='A decimal number as text with at most two decimals (e.g. "45.50").',
        examples=["45.50"],
    ),
]


def _within(kind: NumberKind) -> AfterValidator:
    """The text as a Decimal held to `kind` (decimals, bounds), as the web form holds it."""

    def check(text: str | None) -> Decimal | None:
        if text is None:
            return None
        try:
            return check_number(Decimal(text), kind)
        except NumberError as exc:
            raise ValueError(str(exc)) from None

    return AfterValidator(check)


OUTPUT = DECIMAL.within(0, message="The output cannot be negative.")


class LineIn(BaseModel):
    """One activity's figures, cumulative within the year up to the end of the quarter: the
    fields of the report page's form. Every field is given; null (or "") clears one."""

    model_config = ConfigDict(extra="forbid")

    physical_progress: Annotated[PercentIn | None, _within(PERCENT)] = Field(
        description="Physical progress in percent, 0 to 100, at most two decimals."
    )
    spent: int | None = Field(
        ge=0, le=MAX_AMOUNT, description="Money spent so far this year, whole Rupiah."
    )
    output_achieved: Annotated[DecimalIn | None, _within(OUTPUT)] = Field(
        description="The output achieved (in the activity's unit), not negative."
    )
    obstacles: str = Field(max_length=TEXT_LENGTH)
    follow_up: str = Field(max_length=TEXT_LENGTH)

    _no_nul = field_validator("obstacles", "follow_up")(_no_nul)


class ReportLinesRequest(BaseModel):
    """Save a report's figures on the version the caller read (409 `stale` if it changed).
    Each line given replaces that activity's figures; lines left out stay as they are. An
    indicator value given is set (null clears it); indicators left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=MAX_ID)
    lines: dict[IdKey, LineIn] = Field(
        default_factory=dict,
        max_length=MAX_LINES,
        description="Activity id → its figures (the report's `lines[].activity_id`).",
    )
    indicator_values: dict[IdKey, DecimalIn | None] = Field(
        default_factory=dict,
        max_length=MAX_INDICATORS,
        description=(
            "Indicator id (the plan's indicators) → the value achieved, within the bounds "
            "of its unit (a percentage is 0 to 100)."
        ),
    )


class AttachmentUpload(BaseModel):
    """An evidence file (PDF, PNG or JPEG, judged by its content) for the whole report or
    for one of its lines, on the version of the report the caller read."""

    model_config = ConfigDict(extra="forbid")

    file: UploadedFile
    line_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="A line of this report (`lines[].id`)."
    )
    version: int = Field(ge=0, le=MAX_ID)


class AttachmentRemoval(BaseModel):
    version: int = Field(ge=0, le=MAX_ID, description="The report's version the caller read.")


class AttachmentOut(BaseModel):
    id: int
    report_id: int
    name: str = Field(description="The name it was uploaded with (shown, never a path).")
    size: int = Field(description="Bytes.")
    content_type: str
    sha256: str
    line_id: int | None = Field(description="The report line it belongs to; null: the report.")
    activity_id: int | None
    uploaded_by: UserRef | None
    uploaded_at: datetime
    download_url: str


class EvidenceRoom(BaseModel):
    """What the report holds against what one report may hold, and one file's limit."""

    files: int
    bytes: int
    max_files: int
    max_bytes: int
    max_file_bytes: int


class AttachmentList(BaseModel):
    items: list[AttachmentOut]
    room: EvidenceRoom


class ReportExportQuery(BaseModel):
    format: Literal["xlsx", "csv"] = Field(
        default="xlsx", description="XLSX (every sheet) or CSV (the lines only)."
    )
    dialect: Literal["standard", "id"] = Field(
        default="standard", description="CSV only: `id` for Indonesian Excel (; and 12,5)."
    )


class ReportsExportQuery(ReportExportQuery):
    """The filters of the web's reports list and its export."""

    state: StateName | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)
    quarter: int | None = Field(default=None, ge=1, le=4)
    district: RegionCode | None = None
    overdue: bool = Field(default=False, description="Only reports past their due day.")
