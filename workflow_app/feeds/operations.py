"""A user's calendar feed: make its secret address (shown once), replace it, revoke it, and
find whose feed an address opens. Only the SHA-256 of a secret is stored.

Like the other operations these flush and never commit; callers wrap them in unit_of_work().
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.system import is_system_account
from ..engine import RoleNotAllowed
from ..extensions import db
from ..models_base import utcnow
from .models import CalendarFeed

SECRET_BYTES = 32
# What token_urlsafe(SECRET_BYTES) gives: 43 characters of the URL-safe alphabet. Anything
# else is refused before it is hashed or looked up.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class IssuedFeed:
    """The stored feed and its secret, which exists only here and is shown once."""

    feed: CalendarFeed
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def issue_feed(user: User) -> IssuedFeed:
    """A new secret address for the user's feed; an address given before stops working."""
    if is_system_account(user):
        raise RoleNotAllowed(_("The built-in system account cannot have a calendar feed."))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.secret_hash = hash_secret(secret)
    feed.created_at = utcnow()
    db.session.flush()
    return IssuedFeed(feed=feed, secret=secret)


def revoke_feed(user: User) -> bool:
    """Stop the user's feed (its address answers 404 from now on); whether there was one."""
    feed = feed_of(user)
    if feed is None:
        return False
    db.session.delete(feed)
    db.session.flush()
    return True


def feed_owner(secret: str) -> User | None:
    """The active user whose feed `secret` opens; None for anything else (unknown, revoked or
    replaced secret, malformed text, a disabled account): the caller answers 404 alike."""
    if not SECRET_SHAPE.fullmatch(secret or ""):
        return None
    feed = db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.secret_hash == hash_secret(secret))
    )
    if feed is None or not feed.user.active or is_system_account(feed.user):
        return None
    return feed.user
