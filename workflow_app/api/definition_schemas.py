"""Response bodies of the definitions and lookups (/workflows, /regions, /agencies,
/vocabularies, /me, /tokens): what a client needs to know instead of hard-coding names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import DecimalText, Label, RegionCode


class _Out(BaseModel):
    # Responses are built by this code: a misspelt field is a bug, not something to drop.
    model_config = ConfigDict(extra="forbid")


# --- workflows ------------------------------------------------------------------------------


class VersionQuery(_Out):
    version: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="A kept version of the workflow (default: the one new cases get).",
    )


class WorkflowSummary(_Out):
    name: str
    version: int = Field(description="The version new cases get.")
    versions: list[int] = Field(description="Every version kept (running cases may use any).")
    label: Label
    case_kind: str | None = Field(
        description="The kind of case it drives (plan, report or a kind declared as data)."
    )
    url: str


class WorkflowList(_Out):
    items: list[WorkflowSummary]


class DeadlineStepOut(_Out):
    name: str
    at: int = Field(description="Working days from the due time (negative: before it).")
    kind: Literal["reminder", "due", "escalation"]
    notify: list[str] = Field(description="The roles told.")
    fire: str | None = Field(description="The trigger the system fires then, if any.")


class StateOut(_Out):
    name: str
    label: Label
    owner: str = Field(description="The role whose work the case is while here.")
    tags: list[str]
    initial: bool
    editable: bool
    final: bool
    published: bool = Field(description="Partners may read cases here.")
    sla_working_days: int | None = Field(
        description="Due this many working days after entering the state (null: no deadline)."
    )
    steps: list[DeadlineStepOut] = Field(description="Reminders and escalations of the SLA.")


class TransitionOut(_Out):
    trigger: str
    label: Label
    sources: list[str]
    dest: str
    roles: list[str]
    comment_required: bool
    confirm: bool = Field(description="The web asks the person to confirm first.")
    consequence: Label | None = Field(description="What will happen (for a confirmation).")
    actor_differs_from: list[str] = Field(
        description="Whoever fired one of these triggers on the case may not fire this one."
    )
    automatic: str | None = Field(description="Fired by the system on this event, if any.")


class RoleOut(_Out):
    name: str
    label: Label
    scope: Literal["district", "province", "global"]
    delegable: bool = Field(description="A holder may hand it to a colleague (Plt/Plh).")


class Choice(_Out):
    value: str
    label: Label


class FieldOut(_Out):
    name: str
    type: str
    label: Label
    help: Label | None
    required: bool
    minimum: DecimalText | None
    maximum: DecimalText | None
    max_length: int | None
    choices: list[Choice]
    columns: list[FieldOut] = Field(description="A table's columns.")
    min_rows: int
    max_rows: int | None


class WorkflowDetail(_Out):
    name: str
    version: int
    current_version: int = Field(description="The version new cases get.")
    label: Label
    case_kind: str | None
    initial: str
    states: list[StateOut]
    transitions: list[TransitionOut]
    roles: list[RoleOut]
    fields: list[FieldOut] | None = Field(
        description="The fields of a kind of case declared as data (null for built-in kinds)."
    )


# --- lookups --------------------------------------------------------------------------------


class RegionOut(_Out):
    code: str
    name: str
    kind: Literal["province", "regency", "city"]
    parent: str | None = Field(description="The code of the province of a district.")


class RegionList(_Out):
    items: list[RegionOut]


class AgencyQuery(_Out):
    region: RegionCode | None = None


class AgencyOut(_Out):
    id: int
    short_name: str
    name: str
    region: str = Field(description="The code of its region.")


class AgencyList(_Out):
    items: list[AgencyOut]


class Term(_Out):
    code: str
    label: Label


class Vocabularies(_Out):
    sub_sectors: list[Term]
    funding_sources: list[Term]
    activity_types: list[Term]


class HeldRole(_Out):
    role: str
    label: Label
    region: str = Field(description="The code of the region it is held in.")


class HeldDelegation(_Out):
    id: int
    role: str
    label: Label
    region: str
    acting_for: str = Field(description="The username of the person the caller stands in for.")
    starts_on: date
    ends_on: date


class Me(_Out):
    username: str
    full_name: str
    language: str
    roles: list[HeldRole]
    delegations: list[HeldDelegation] = Field(description="Delegations in force today (Plt/Plh).")


class TokenOut(_Out):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenList(_Out):
    items: list[TokenOut]
