"""Bodies of /api/v1/notifications: the caller's notifications in the app (the bell)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from .schemas import MAX_PAGE, Label


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unread: bool = Field(default=False, description="Only the unread ones (true/false).")
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class CaseRef(BaseModel):
    kind: str = Field(description="plan, report, or a kind declared as data (e.g. sk_pokja).")
    id: int


class NotificationOut(BaseModel):
    id: int
    event: str = Field(description="The action fired, or reminder, due, escalation, ….")
    title: Label = Field(description="The email's subject line, as the web's list shows it.")
    actor: str = Field(description="Who acted (for an action); empty otherwise.")
    comment: str
    case: CaseRef
    web_path: str | None = Field(description="The case's page on the web, e.g. /plans/12.")
    created_at: datetime
    read_at: datetime | None
    unread: bool


class NotificationList(BaseModel):
    items: list[NotificationOut]
    total: int
    unread_total: int = Field(description="All unread notifications (the bell's number).")
    limit: int
    offset: int


class ReadAllResult(BaseModel):
    marked: int = Field(description="How many notifications were unread and are read now.")
