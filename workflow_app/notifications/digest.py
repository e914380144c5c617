"""The daily digest: at 07.00 WITA on working days (the beat schedule says when; the app's
working-day calendar, with the Indonesian holidays and the admin's overrides, says whether),
one email per user who chose it, telling of their cases' events not yet in a digest.

Each digest is an outbox row like every email, delivered the same way. Its `dedupe_key` (user
and WITA day) is unique, so a run repeated, or runs on two machines at once, write it once;
each event names the digest that told of it (`digest_id`), so none is told twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import DELIVERY_BOTH, DELIVERY_DIGEST, User
from ..deadlines.calendar_store import current_calendar
from ..engine.calendar import WITA
from ..extensions import db
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from .models import PENDING, Notification
from .outbox import add_email

log = logging.getLogger(__name__)

DIGEST_EVENT = "digest"
# When the digest goes, in WITA (UTC+8 all year: no daylight saving).
DIGEST_TIME = time(7, 0)
# How far back a digest looks for events not yet told: past the longest run of days off (the
# Lebaran holidays with cuti bersama), so a first digest after a long break misses nothing.
LOOKBACK = timedelta(days=14)


def digest_key(user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def digest_day(at: datetime) -> date | None:
    """The WITA day of `at` if it is a working day (a digest is due), else None."""
    day = at.astimezone(WITA).date()
    return day if current_calendar().is_working_day(day) else None


def _readers(since: datetime, until: datetime) -> list[int]:
    """The users who chose a digest and have events not yet in one (active, with an address)."""
    query = (
        select(Notification.recipient_id)
        .join(User, User.id == Notification.recipient_id)
        .where(
            Notification.subject_kind.is_not(None),
            Notification.digest_id.is_(None),
            Notification.created_at >= since,
            Notification.created_at <= until,
            User.email_delivery.in_((DELIVERY_DIGEST, DELIVERY_BOTH)),
            User.active.is_(True),
            User.email != "",
        )
        .distinct()
    )
    return sorted(user_id for user_id in db.session.scalars(query) if user_id is not None)


def send_digests(at: datetime | None = None) -> list[int]:
    """Write the digests of the WITA day of `at` (default now) if it is a working day; the ids
    of the digest rows written by this run (none for a user whose digest of the day exists)."""
    at = at or utcnow()
    with unit_of_work():
        day = digest_day(at)
        readers = _readers(at - LOOKBACK, at) if day is not None else []
    if day is None:
        log.info("digest: %s is not a working day, nothing sent", at.astimezone(WITA).date())
        return []
    written = []
    for user_id in readers:
        row_id = _write_digest(user_id, day, at)
        if row_id is not None:
            written.append(row_id)
    return written


def _write_digest(user_id: int, day: date, at: datetime) -> int | None:
    """One user's digest of `day` in a transaction of its own; its id, or None when it exists
    already (written by an earlier run, or by another worker just now) or nothing is new."""
    key = digest_key(user_id, day)
    try:
        with unit_of_work():
            if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
                return None
            events = list(
                db.session.scalars(
                    select(Notification.id)
                    .where(
                        Notification.in_inbox_of(user_id),
                        Notification.digest_id.is_(None),
                        Notification.created_at >= at - LOOKBACK,
                        Notification.created_at <= at,
                    )
                    .order_by(Notification.created_at, Notification.id)
                )
            )
            user = db.session.get(User, user_id)
            if not events or user is None:
                return None
            row = add_email(
                Notification(
                    event=DIGEST_EVENT,
                    recipient_id=user.id,
                    to_address=user.email,
                    language=user.language or "id",
                    payload={"day": day.isoformat(), "events": len(events)},
                    dedupe_key=key,
                    status=PENDING,
                )
            )
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_(events), Notification.digest_id.is_(None))
                .values(digest_id=row.id)
                .execution_options(synchronize_session=False)
            )
            return row.id
    except IntegrityError:
        # Another worker wrote this user's digest of the day between our check and our write.
        log.info("digest of user %s for %s already written elsewhere", user_id, day)
        return None


def digested_events(digest: Notification) -> list[Notification]:
    """The events a digest tells of, oldest first."""
    query = (
        select(Notification)
        .where(Notification.digest_id == digest.id)
        .order_by(Notification.created_at, Notification.id)
    )
    return list(db.session.scalars(query))
