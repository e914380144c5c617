"""Writing notifications into the outbox, in the caller's transaction. Delivery is queued
only after that transaction commits (see unit_of_work), so a rolled-back change sends
nothing and a committed one is never lost."""

from __future__ import annotations

from typing import Any

from ..accounts.models import DELIVERY_DIGEST, User
from ..extensions import db
from ..logs import current_request_id
from .models import DIGEST_ONLY, PENDING, Notification

SESSION_KEY = "outbox_new"


def add_notifications(
    event: str,
    recipients: list[User],
    payload: dict[str, Any],
    *,
    subject: tuple[str, int] | None = None,
    step_id: int | None = None,
) -> list[Notification]:
    """Outbox rows of `event` for each recipient with an address; `subject` is the case
    (kind, id) the event concerns. A case's event for a recipient who chose the daily digest
    only is kept for the app and the digest, not emailed on its own."""
    request_id = current_request_id()
    rows = [
        Notification(
            status=DIGEST_ONLY if subject and user.email_delivery == DELIVERY_DIGEST else PENDING,
            event=event,
            subject_kind=subject[0] if subject else None,
            subject_id=subject[1] if subject else None,
            step_id=step_id,
            recipient_id=user.id,
            to_address=user.email,
            language=user.language or "id",
            payload=payload,
            request_id=request_id,
        )
        for user in recipients
        if user.email
    ]
    db.session.add_all(rows)
    db.session.flush()
    _deliver_after_commit(rows)
    return rows


def add_email(row: Notification) -> Notification:
    """Write one outbox row made by the caller (a digest), to be delivered after the commit."""
    row.request_id = current_request_id()
    db.session.add(row)
    db.session.flush()
    _deliver_after_commit([row])
    return row


def _deliver_after_commit(rows: list[Notification]) -> None:
    db.session.info.setdefault(SESSION_KEY, []).extend(
        row.id for row in rows if row.status == PENDING
    )


def take_new_ids() -> list[int]:
    """The ids written since the last commit or rollback (and forget them)."""
    return db.session.info.pop(SESSION_KEY, [])
