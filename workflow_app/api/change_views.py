"""/api/v1/changes: every change of the cases the caller may see (created, updated,
transitioned), in commit order, a page at a time after an opaque cursor (changes/feed.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..changes import feed
from ..changes.cursor import BadCursor, decode
from .auth import api_user
from .blueprint import endpoint
from .errors import ApiError


class ChangeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The `next_cursor` (or an item's `id`) of a page read before; none: from "
        "the first change.",
    )
    limit: int = Field(default=feed.DEFAULT_LIMIT, ge=1, le=feed.MAX_LIMIT)


class ChangeActor(BaseModel):
    id: int
    username: str
    name: str
    acting_for: ChangeActor | None = Field(
        default=None, description="Whom the actor stood in for (a delegation), if anyone."
    )


class ChangeEventItem(BaseModel):
    id: str = Field(description="The event's place in the feed: a cursor to read on after it.")
    type: Literal["case.created", "case.updated", "case.transitioned"]
    kind: str = Field(description="The kind of case (plan, report, a declared kind).")
    case_id: int
    version: int = Field(description="The case's version after the change.")
    state: str = Field(description="The case's state after the change.")
    at: datetime
    actor: ChangeActor | None = Field(
        description="Who made the change; none for an update made by no user (a command)."
    )
    data: dict[str, Any] = Field(
        description="case.transitioned: trigger, from, to, comment; case.created: trigger; "
        "case.updated: `changed`, the case's fields changed (`contents`: its parts)."
    )


class ChangePage(BaseModel):
    items: list[ChangeEventItem]
    next_cursor: str | None = Field(
        description="Pass as `after` to read on (also when no items came: ask again later)."
    )
    has_more: bool


@endpoint(
    "GET",
    "/changes",
    summary="The changes of the cases the caller may see, oldest first, after a cursor.",
    tag="changes",
    query=ChangeQuery,
    response=ChangePage,
    errors=(400, 401),
)
def changes(query: ChangeQuery) -> ChangePage:
    after = None
    if query.after is not None:
        try:
            after = decode(query.after)
        except BadCursor as exc:
            raise ApiError(
                400, "validation_error", "the request is not valid", fields={"after": [str(exc)]}
            ) from exc
    page = feed.read_page(api_user(), after, query.after, query.limit)
    return ChangePage(
        items=[ChangeEventItem.model_validate(feed.as_item(e)) for e in page.items],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )
