"""Writing notifications into the outbox, in the caller's transaction. Delivery is queued
only after that transaction commits (see unit_of_work), so a rolled-back change sends
nothing and a committed one is never lost."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from ..accounts.models import DELIVERY_DIGEST
from ..extensions import db
from ..logs import current_request_id
from ..models_base import utcnow
from .models import DIGEST_ONLY, PENDING, Notification

SESSION_KEY = "outbox_new"


class Recipient(Protocol):
    """What a recipient's outbox row is written from: a User, or a row of these columns
    (RECIPIENT_COLUMNS; firing reads the holders told as such rows)."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def email_delivery(self) -> str: ...


RECIPIENT_COLUMNS = ("id", "email", "language", "email_delivery")


def add_notifications(
    event: str,
    recipients: Sequence[Recipient],
    payload: dict[str, Any],
    *,
    subject: tuple[str, int] | None = None,
    step_id: int | None = None,
) -> list[int]:
    """Outbox rows of `event` for each recipient with an address (their ids); `subject` is
    the case (kind, id) the event concerns. A case's event for a recipient who chose the daily
    digest only is kept for the app and the digest, not emailed on its own."""
    told = [user for user in recipients if user.email]
    if not told:
        return []
    now, digests = utcnow(), subject is not None
    shared = {
        "event": event,
        "subject_kind": subject[0] if subject else None,
        "subject_id": subject[1] if subject else None,
        "step_id": step_id,
        "payload": payload,
        "request_id": current_request_id(),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    each = [
        {
            "recipient_id": user.id,
            "to_address": user.email,
            "language": user.language or "id",
            "status": DIGEST_ONLY
            if digests and user.email_delivery == DELIVERY_DIGEST
            else PENDING,
        }
        for user in told
    ]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {f"each_{name}": [row[name] for row in each] for name in _EACH}
        written = connection.execute(_unnest_insert(), shared | arrays).all()
    else:
        written = connection.execute(_INSERT, [shared | row for row in each]).all()
    ids = sorted(row.id for row in written)
    db.session.info.setdefault(SESSION_KEY, []).extend(
        row.id for row in sorted(written) if row.status == PENDING
    )
    return ids


# The columns that differ from one recipient to the next; the rest are the event's.
_EACH = ("recipient_id", "to_address", "language", "status")
_SHARED = (
    "event",
    "subject_kind",
    "subject_id",
    "step_id",
    "payload",
    "request_id",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_TABLE = Notification.__table__
_INSERT = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.status)


@cache
def _unnest_insert() -> Any:
    """PostgreSQL: one INSERT for any number of recipients, the columns that differ bound as
    arrays (unnest), so its shape and its 13 parameters never change: psycopg keeps it
    converted and prepared (a row per recipient's VALUES made 18 parameters a row, beyond
    psycopg's 50 from 3 recipients on: converted again on every call; issue 17)."""
    c = _TABLE.c
    each = (
        func.unnest(*(bindparam(f"each_{name}", type_=ARRAY(c[name].type)) for name in _EACH))
        .table_valued(*_EACH)
        .render_derived(name="each")
    )
    shared = [bindparam(name, type_=c[name].type) for name in _SHARED]
    query = select(*shared, *(each.c[name] for name in _EACH))
    return insert(_TABLE).from_select([*_SHARED, *_EACH], query).returning(c.id, c.status)


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
