"""Choosing a password: the user's own change (current password required) and the reset by
an emailed link. Operations flush and never commit; callers wrap them in `unit_of_work()`.

A reset link carries a random secret; only its SHA-256 is stored. It works once, for
PASSWORD_RESET_MINUTES, and asking for a new link retires the older ones. Every password
change ends all of the user's sessions and API tokens (sessions.end_sessions_and_tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from ..audit.admin_log import Action, record_act
from ..engine import InvalidInput
from ..extensions import db
from ..models_base import utcnow
from ..notifications.outbox import add_notifications
from ..security.passwords import check_new_password, words_of
from . import password_email  # noqa: F401  (registers the reset email's renderer)
from .models import PasswordResetToken, User
from .sessions import end_sessions_and_tokens
from .system import is_system_account

RESET_EVENT = "password_reset"
# How many accounts one "username or email" may reach (an email can be shared).
MAX_ACCOUNTS_PER_REQUEST = 5


class PasswordRefused(InvalidInput):
    """A password change refused; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class ResetLinkInvalid(InvalidInput):
    """The reset link is unknown, used, expired, or its account is disabled."""

    status = 404


def own_words(user: User) -> list[str]:
    return words_of(user.username, user.full_name, user.email)


def set_new_password(user: User, password: str, field: str = "new_password") -> None:
    """Give `user` the new `password` if the policy allows it, and end all their sessions and
    API tokens (whoever knew the old password may have made one)."""
    try:
        check_new_password(password, own_words(user))
    except InvalidInput as exc:
        raise PasswordRefused(exc.message, field) from exc
    user.set_password(password)
    end_sessions_and_tokens(user)
    retire_reset_links(user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise PasswordRefused(_("The current password is not right."), "current_password")
    if current == new:
        raise PasswordRefused(_("Choose a password you have not used here."), "new_password")
    set_new_password(user, new)
    record_act(user, Action.PASSWORD_CHANGED, target=user, details={"username": user.username})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _accounts_for(identifier: str) -> list[User]:
    """The active accounts whose username or email is `identifier` (case ignored)."""
    wanted = identifier.strip().lower()
    if not wanted:
        return []
    query = (
        select(User)
        .where(
            or_(func.lower(User.username) == wanted, func.lower(User.email) == wanted),
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(MAX_ACCOUNTS_PER_REQUEST)
    )
    return [u for u in db.session.scalars(query) if u.email and not is_system_account(u)]


def retire_reset_links(user: User, now: datetime | None = None) -> None:
    """End every reset link of `user` not used yet: any new password, however set, retires
    the links sent before it."""
    _retire_links(user, now or utcnow())


def _retire_links(user: User, now: datetime) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(expires_at=now)
    )


def link_secret(link: PasswordResetToken) -> str:
    """The secret of a reset link: derived from the app's SECRET_KEY and the link's row, never
    stored. The table keeps only its hash, and the outbox row only the link's id: the email
    is rendered by deriving the secret again, so no table, the outbox included, holds a link
    that opens an account."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    expires = int(link.expires_at.timestamp())
    message = f"password-reset:{link.id}:{link.user_id}:{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def reset_url(token: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("accounts.reset_password", token=token, _external=False)


def request_reset(identifier: str, now: datetime | None = None) -> int:
    """Email a reset link to each active account named by `identifier`; how many were sent
    (the caller must not tell the visitor: the answer is the same either way)."""
    now = now or utcnow()
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    accounts = _accounts_for(identifier)
    for user in accounts:
        _retire_links(user, now)
        link = PasswordResetToken(
            user_id=user.id,
            token_hash=secrets.token_hex(32),  # a placeholder until the row has its id
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        db.session.add(link)
        db.session.flush()
        link.token_hash = token_hash(link_secret(link))
        payload = {"reset_link_id": link.id, "minutes": minutes, "username": user.username}
        add_notifications(RESET_EVENT, [user], payload)
    db.session.flush()
    return len(accounts)


def usable_link(token: str, now: datetime | None = None) -> PasswordResetToken | None:
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    )
    return row if row is not None and row.is_usable(now or utcnow()) else None


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password of the link's account. Raises ResetLinkInvalid for a link that cannot
    be used (any more), PasswordRefused for a password the policy refuses."""
    now = now or utcnow()
    link = usable_link(token, now)
    if link is None:
        raise ResetLinkInvalid(_("This link is not valid any more."))
    user = link.user
    set_new_password(user, password)
    # Used exactly once, even when two requests race with the same link.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == link.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise ResetLinkInvalid(_("This link is not valid any more."))
    _retire_links(user, now)
    db.session.flush()
    details = {"username": user.username, "reset_link_id": link.id}
    record_act(user, Action.PASSWORD_RESET, target=user, details=details)
    return user
