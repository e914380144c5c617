"""Bodies of /api/v1/delegations: acting officials (Plt/Plh), as the web's page has them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..accounts.delegations import NOTE_LENGTH
from .schemas import Label, RegionCode, RegionRef, UserRef, _no_nul

Status = Literal["active", "upcoming", "over", "ended_early"]
USERNAME_LENGTH = 80  # as the web form's field


class DelegationOut(BaseModel):
    id: int
    delegator: UserRef = Field(description="Who holds the role and hands it over.")
    delegate: UserRef = Field(description="The acting official (Plt/Plh).")
    role: str
    role_label: Label
    region: RegionRef
    starts_on: date = Field(description="The first day (WITA), included.")
    ends_on: date = Field(description="The last day (WITA), included.")
    note: str
    status: Status = Field(description="Where it stands today (WITA).")
    can_end: bool = Field(description="Whether the caller may end it now.")
    created_at: datetime
    created_by: UserRef | None
    ended_at: datetime | None = Field(description="When it was ended early, if it was.")
    ended_by: UserRef | None


class AssignableRole(BaseModel):
    """A role the caller may hand over (their own; every official's for an admin)."""

    holder: UserRef
    role: str
    role_label: Label
    region: RegionRef


class DelegationPage(BaseModel):
    """The web page's lists: what the caller received and gave (every delegation too for an
    administrator, empty otherwise), the roles they may hand over and the longest duration."""

    received: list[DelegationOut]
    given: list[DelegationOut]
    everything: list[DelegationOut] = Field(description="An administrator's view; else empty.")
    assignable: list[AssignableRole]
    max_days: int = Field(description="A delegation lasts at most this many days, both included.")


class DelegationRequest(BaseModel):
    """Hand `role`, held in `region` by the delegator (the caller; an administrator may name
    another holder), to `delegate` from `starts_on` to `ends_on` (WITA dates, both included)."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1, max_length=40, examples=["district_head"])
    region: RegionCode
    delegate: str = Field(min_length=1, max_length=USERNAME_LENGTH, description="A username.")
    starts_on: date
    ends_on: date
    note: str = Field(default="", max_length=NOTE_LENGTH)
    delegator: str | None = Field(
        default=None,
        min_length=1,
        max_length=USERNAME_LENGTH,
        description="The role's holder (a username); only an administrator may name another.",
    )

    _no_nul = field_validator("role", "delegate", "note", "delegator")(_no_nul)
