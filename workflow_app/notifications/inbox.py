"""The app's notifications: the outbox rows of a user's cases' events ARE what the bell counts
and the notifications page lists (no copy is kept); opening one marks it read.

Reads are single queries on the recipient's indexes; the changes flush and never commit (the
caller wraps them in unit_of_work()).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update

from ..engine import OutOfScope
from ..extensions import db
from ..models_base import utcnow
from .models import Notification
from .rendering import case_path, subject_line

LIST_LIMIT = 100


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread: one COUNT on (recipient_id, read_at)."""
    query = select(func.count(Notification.id)).where(
        Notification.in_inbox_of(user_id), Notification.read_at.is_(None)
    )
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class InboxItem:
    """One notification as the list shows it: the email's subject line in the page language,
    who acted and their comment (for a transition), and the page of the case."""

    notification: Notification
    title: str
    actor: str
    comment: str
    path: str | None

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def inbox_item(row: Notification, language: str) -> InboxItem:
    payload: dict[str, Any] = dict(row.payload or {})
    return InboxItem(
        notification=row,
        title=subject_line(row.event, payload, language),
        actor=str(payload.get("actor_name") or ""),
        comment=str(payload.get("comment") or ""),
        path=case_path(payload),
    )


def _listed(user_id: int, unread_only: bool) -> ColumnElement[bool]:
    listed = Notification.in_inbox_of(user_id)
    return and_(listed, Notification.read_at.is_(None)) if unread_only else listed


def inbox(
    user_id: int,
    language: str,
    limit: int = LIST_LIMIT,
    *,
    offset: int = 0,
    unread_only: bool = False,
) -> list[InboxItem]:
    """The user's latest notifications (only the unread ones if `unread_only`), newest
    first, `offset` skipped, titled in `language` (the page's)."""
    query = (
        select(Notification)
        .where(_listed(user_id, unread_only))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [inbox_item(row, language) for row in db.session.scalars(query)]


def inbox_total(user_id: int, *, unread_only: bool = False) -> int:
    """How many notifications `inbox` pages through."""
    query = select(func.count(Notification.id)).where(_listed(user_id, unread_only))
    return db.session.scalar(query) or 0


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again: nothing changes). Another user's, or
    one that is not in the app's list, is not found."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.recipient_id != user_id or row.subject_kind is None:
        raise OutOfScope("notification not found")
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return row


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    marked = db.session.execute(
        update(Notification)
        .where(Notification.in_inbox_of(user_id), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(marked or 0)
