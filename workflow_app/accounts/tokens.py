"""Personal API tokens: issue, list, revoke, and find the token a request presents.

Like the other operations these flush and never commit; callers wrap them in unit_of_work().
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..api.models import ApiToken
from ..audit.admin_log import Action, current_actor, record_act
from ..engine import InvalidInput, OutOfScope, RoleNotAllowed
from ..extensions import db
from ..models_base import utcnow
from .models import User
from .system import is_system_account

TOKEN_BYTES = 32
PREFIX_LENGTH = 8
NAME_MAX_LENGTH = 100
MAX_DAYS = 3650
# Writing last_used_at on every request would make each API read a write; once a minute
# is precise enough to tell whether a token is still in use.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """The stored token and its secret, which exists only here and is shown once."""

    token: ApiToken
    secret: str


def max_days() -> int:
    """How long a token may live at most (`API_TOKEN_MAX_DAYS`, default 365)."""
    return min(int(current_app.config["API_TOKEN_MAX_DAYS"]), MAX_DAYS)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User, name: str, *, days: int | None = None) -> IssuedToken:
    """A new token for `user`, valid for `days` days (None: the longest a token may live,
    `API_TOKEN_MAX_DAYS`, one year unless configured): no token works for ever."""
    if is_system_account(user):
        raise RoleNotAllowed(_("The built-in system account cannot have tokens."))
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH or "\x00" in name:
        raise InvalidInput(
            _("Give the token a name of at most %(max)s characters.", max=NAME_MAX_LENGTH)
        )
    longest = max_days()
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise InvalidInput(_("A token is valid for 1 to %(max)s days.", max=longest))
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_act(current_actor(), Action.TOKEN_CREATED, target=user, details=token_details(token))
    return IssuedToken(token=token, secret=secret)


def token_details(token: ApiToken) -> dict[str, object]:
    """What the log of administrative acts records of a token: never its secret or hash."""
    return {"token_id": token.id, "name": token.name, "prefix": token.prefix}


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, the newest first (revoked ones too: they show when they ended)."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def revoke_token(user: User, token_id: int, *, actor: User | None = None) -> ApiToken:
    """Revoke one of the user's own tokens (revoking it again changes nothing). `actor`:
    who did it when no web session says so (an API call acts as its token's user, whatever
    cookie the client also sends)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise OutOfScope("token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        actor = actor or current_actor() or user  # the admin who ended it, else the user
        record_act(actor, Action.TOKEN_REVOKED, target=user, details=token_details(token))
    return token


def revoke_usable_tokens(user: User, now: datetime | None = None) -> list[ApiToken]:
    """Revoke every token of `user` that still works (neither revoked nor expired), each
    through `revoke_token`; the tokens revoked. Expired ones keep their end as it was."""
    now = now or utcnow()
    usable = [token for token in tokens_of(user) if token.is_usable(now)]
    return [revoke_token(user, token.id) for token in usable]


def usable_token(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The token whose secret was presented, if it is neither revoked nor expired and its
    user is active; otherwise None (the caller answers 401 whatever the reason)."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.is_usable(now or utcnow()) or not token.user.active:
        return None
    return token


def needs_touch(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL


def touch(token: ApiToken, now: datetime) -> None:
    """Record that the token was used (at most once per TOUCH_INTERVAL)."""
    if needs_touch(token, now):
        token.last_used_at = now
        db.session.flush()
