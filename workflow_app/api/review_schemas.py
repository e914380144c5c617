"""Request and response bodies of the review endpoints (api/review_views.py): comments as
threads with their replies, the resubmission diff and the latest return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from ..reviews.models import ITEM_TYPES
from ..reviews.operations import BODY_MAX_LENGTH
from .schemas import DECIMAL_PATTERN, MAX_ID, Label, Paged, UserRef

ItemType = Literal["plan", "challenge", "indicator", "activity"]
assert set(ItemType.__args__) == set(ITEM_TYPES)  # type: ignore[attr-defined]

# Not blank once trimmed (as the web's forms), no NUL anywhere: said by the pattern too, so
# what the document calls valid is taken.
TEXT_PATTERN = r"^[^\x00]*[^\s\x00\x1c-\x1f][^\x00]*$"
CommentText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=BODY_MAX_LENGTH,
        pattern=TEXT_PATTERN,
        description=f"Trimmed; at most {BODY_MAX_LENGTH} characters, not blank, no NUL.",
    ),
]


def _text(value: object) -> object:
    """Refuse NUL and blank text with messages of their own (the pattern says it less
    clearly)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank")
    return value


# --- requests ----------------------------------------------------------------------------


class CommentRequest(BaseModel):
    """A reviewer's comment on the plan as a whole (`item_type` plan, no `item_id`) or on
    one of its challenges, indicators or activities (by its id in the plan's detail). What
    the plan page's comment form sends; a comment does not change the plan, so it takes no
    `version`."""

    model_config = ConfigDict(extra="forbid")

    item_type: ItemType
    item_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    body: CommentText

    _no_nul = field_validator("body", mode="before")(_text)


class ReplyRequest(BaseModel):
    """An answer in a comment's thread."""

    model_config = ConfigDict(extra="forbid")

    body: CommentText

    _no_nul = field_validator("body", mode="before")(_text)


class CaseCommentRequest(BaseModel):
    """A reviewer's comment on a declared case as a whole (no `field`), on one of its fields,
    or on one row (from 0) of a table field: what the case page's comment form sends."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    row: int | None = Field(default=None, ge=0, le=9999)
    body: CommentText

    _no_nul = field_validator("body", mode="before")(_text)


# --- responses ---------------------------------------------------------------------------


class CommentItem(BaseModel):
    """What a comment is about, as it was when written."""

    type: ItemType
    id: int | None = Field(description="The item's id when written (null: the plan).")
    label: str = Field(description="The item's name when written (the plan's title for plan).")
    current_id: int | None = Field(
        description="Where the plan page shows the comment now: the item of that id, else "
        "the item of the same name (challenges and indicators get new ids when saved); null "
        "for the plan as a whole and for an item no longer in the plan (see `present`)."
    )
    present: bool = Field(description="Whether the item is still part of the plan.")


class ReplyOut(BaseModel):
    id: int
    text: str
    author: UserRef
    acting_for: UserRef | None = Field(description="The absent holder the author acted for.")
    role: str = Field(description="The role the reply was written under.")
    role_label: Label
    state: str = Field(description="The plan's state when written.")
    created_at: datetime
    answer: bool = Field(description="Written by the plan's editor (an answer to the reviewer).")


class CommentThread(BaseModel):
    id: int
    plan_id: int
    item: CommentItem
    text: str
    author: UserRef
    role: str | None = Field(description="The reviewer role of the stage that wrote it.")
    role_label: Label | None
    stage: str = Field(description="The plan's state when written (the review stage).")
    stage_label: Label | None
    round: int = Field(description="The review round: how many submissions preceded it.")
    previous_round: bool = Field(description="Written in an earlier round than the current.")
    created_at: datetime
    replies: list[ReplyOut]
    open: bool
    resolved_by: UserRef | None
    resolved_at: datetime | None
    answered: bool = Field(description="The last word in the thread is the plan editor's.")
    can_resolve: bool = Field(
        description="The caller may mark it resolved or open again now (POST …/resolve, …/reopen)."
    )


class CommentList(Paged):
    """A page of a plan's comments, oldest first."""

    items: list[CommentThread]
    open: int = Field(description="How many of all the plan's comments are open.")
    can_comment: bool = Field(description="The caller may comment now (POST …/comments).")
    can_reply: bool = Field(description="The caller may answer threads now (POST …/replies).")


# A value in a diff: text, a whole number, a decimal as text, or null (none).
DiffValue = Annotated[
    str | int | None,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
            "description": "Text, a whole number (years, Rupiah), a decimal as text "
            f"(pattern {DECIMAL_PATTERN}) or null (no value on that side).",
        }
    ),
]


class FieldChangeOut(BaseModel):
    field: str = Field(description="e.g. title, volume, target (per year), funding.")
    before: DiffValue
    after: DiffValue
    year: int | None = Field(description="The year of a target or a funding line.")
    source: str | None = Field(description="The funding source of a funding line.")


class ChangeOut(BaseModel):
    section: Literal["header", "challenges", "indicators", "activities"]
    kind: Literal["added", "removed", "changed"]
    label: str = Field(description="The row's name (empty for the header).")
    fields: list[FieldChangeOut] = Field(description="What changed (for `changed` only).")


class ReturnOut(BaseModel):
    """A step that sent the plan back to its drafter for revision."""

    history_id: int
    at: datetime
    trigger: str
    from_state: str | None
    to_state: str
    actor: UserRef
    acting_for: UserRef | None
    role: str
    role_label: Label
    comment: str | None = Field(description="The reason given.")
    pending: bool = Field(description="The plan is still with its drafter for this return.")


class FollowUpOut(BaseModel):
    """A comment open at the return: the editor's answers since, and whether it is resolved."""

    comment: CommentThread
    answers: list[ReplyOut]
    answered: bool
    resolved: bool


class ResubmissionDiff(BaseModel):
    plan_id: int
    previous_submitted_at: datetime | None = Field(
        description="The submission compared from (null before the second submission)."
    )
    latest_submitted_at: datetime | None
    changes: list[ChangeOut] | None = Field(
        description="What changed between the two latest submissions, header first, then "
        "challenges, indicators and activities; null before the second submission."
    )
    latest_return: ReturnOut | None = Field(
        description="The return the plan is with its drafter for, else the one before its "
        "latest submission; null when neither."
    )
    follow_ups: list[FollowUpOut] | None = Field(
        description="After a return and a new submission: each comment open at the return, "
        "answered or not, resolved or open; null when the latest submission followed no return."
    )


class CaseCommentOut(BaseModel):
    """A reviewer's comment on a declared case (these have no threads: the web shows them
    as remarks beside the case, a field or a row)."""

    id: int
    case_id: int
    field: str | None = Field(description="The field commented on (null: the case).")
    row: int | None = Field(description="The row of a table field, from 0.")
    label: str = Field(description="The field (and row) as named when written.")
    text: str
    author: UserRef
    stage: str = Field(description="The case's state when written.")
    stage_label: Label | None
    created_at: datetime


class CaseCommentList(Paged):
    """A page of a declared case's comments, oldest first."""

    items: list[CaseCommentOut]
    can_comment: bool = Field(description="The caller may comment now (POST …/comments).")
