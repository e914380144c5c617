"""Reading the change feed: the events a user may see, in commit order, a page at a time,
and each event as integrators see it (the API's items and the webhooks' bodies alike).

Order under concurrent writers (PostgreSQL): an id taken by a transaction that commits later
than a newer one would appear behind a reader's cursor and be missed. So each event carries
its transaction's id, the feed is ordered by (txid, id), and it serves only the events of
transactions older than every transaction still running (the xmin of the reader's snapshot):
those have all ended, so nothing can ever appear before an event once it is served. A long
transaction holds the feed back until it ends; nothing is lost. SQLite serializes writers:
the id alone orders (txid is 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    cast,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..subjects import case_kinds
from .cursor import encode
from .models import ChangeEvent

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    items: list[ChangeEvent]
    next_cursor: str | None
    has_more: bool


def cursor_of(event: ChangeEvent) -> str:
    return encode(event.txid, event.id)


def _visible_to(user: User) -> ColumnElement[bool]:
    """The events of cases `user` may see now: the access policy's own query, per kind."""
    conditions = []
    for kind in case_kinds():
        seen = kind.visible_query(user).subquery()
        conditions.append(
            (ChangeEvent.subject_kind == kind.name) & ChangeEvent.subject_id.in_(select(seen.c.id))
        )
    return or_(*conditions) if conditions else false()


def _settled() -> ColumnElement[bool]:
    """Only the events of transactions that all ended before any still running began."""
    if db.session.get_bind().dialect.name != "postgresql":
        return ChangeEvent.txid.is_not(None)
    xmin = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
    return ChangeEvent.txid < xmin


def page_query(user: User, after: tuple[int, int] | None, limit: int) -> Select[Any]:
    query = select(ChangeEvent).where(_visible_to(user), _settled())
    if after is not None:
        query = query.where(tuple_(ChangeEvent.txid, ChangeEvent.id) > tuple_(*after))
    return (
        query.order_by(ChangeEvent.txid, ChangeEvent.id)
        .limit(limit + 1)
        .options(selectinload(ChangeEvent.actor), selectinload(ChangeEvent.acting_for))
    )


def read_page(
    user: User, after: tuple[int, int] | None, after_text: str | None, limit: int
) -> Page:
    """The next `limit` events after the cursor `after` (None: from the start). The next
    cursor is the last item's (none: the one given, to ask again later)."""
    rows = list(db.session.scalars(page_query(user, after, limit)))
    items = rows[:limit]
    next_cursor = cursor_of(items[-1]) if items else after_text
    return Page(items=items, next_cursor=next_cursor, has_more=len(rows) > limit)


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.full_name}


def as_item(event: ChangeEvent) -> dict[str, Any]:
    """The event as the feed serves it and a webhook sends it."""
    actor = _person(event.actor)
    if actor is not None:
        actor["acting_for"] = _person(event.acting_for)
    return {
        "id": cursor_of(event),
        "type": event.type,
        "kind": event.subject_kind,
        "case_id": event.subject_id,
        "version": event.version,
        "state": event.state,
        "at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "actor": actor,
        "data": event.data or {},
    }
