from __future__ import annotations

from datetime import date, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    and_,
    exists,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..engine import Grant
from ..engine.calendar import WITA
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..regions.models import Region

# argon2id at OWASP's recommended configuration (19 MiB, 2 passes, 1 lane): about 24 ms of CPU
# per check on the reference 2-core machine, against about 190 ms and 64 MiB held per login
# with argon2-cffi's defaults (RFC 9106's low-memory profile), which made a morning's logins
# queue behind each other. Hashes made with other parameters still verify (they carry their
# own) and are made again with these at the next login (`User.rehash_if_needed`).
password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# How a user receives the emails of their cases' events (User.email_delivery): each one as it
# happens, one daily digest of them (07.00 WITA on working days), or both. Every event shows in
# the app's notifications whatever the choice; account emails (a password reset) always go.
DELIVERY_EACH, DELIVERY_DIGEST, DELIVERY_BOTH = "each", "digest", "both"
EMAIL_DELIVERIES = (DELIVERY_EACH, DELIVERY_DIGEST, DELIVERY_BOTH)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Part of the id every session carries (`get_id`): raising it ends all of the user's
    # sessions at once (logout, password change or reset, account disabled).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    email_delivery: Mapped[str] = mapped_column(
        String(10), default=DELIVERY_EACH, server_default=DELIVERY_EACH
    )

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    # Delegations this user may act under (not ended early, delegator still holds the role);
    # the dates are checked in `grants()`. The login loader loads only today's in its query.
    acting_delegations: Mapped[list[Delegation]] = relationship(
        primaryjoin=lambda: _acting_join(),
        viewonly=True,
        lazy="select",
        order_by=lambda: Delegation.id,
    )

    def set_password(self, password: str) -> None:
        self.password_hash = password_hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def rehash_if_needed(self, password: str) -> bool:
        """After a successful check: hash the password again if its stored hash was made with
        other parameters than today's. True when the hash changed (the caller commits)."""
        if not password_hasher.check_needs_rehash(self.password_hash):
            return False
        self.set_password(password)
        return True

    def get_id(self) -> str:
        """The session's user id, "<id>:<epoch>" (just "<id>" while the epoch is 0, as
        sessions were before epochs existed); `accounts.login.load_user` refuses a session
        whose epoch is not the account's current one."""
        return f"{self.id}:{self.session_epoch}" if self.session_epoch else str(self.id)

    def end_all_sessions(self) -> None:
        """Every session of this user, in any browser, ends at its next request. Callers use
        accounts.sessions.end_sessions_and_tokens, which ends the user's API tokens too."""
        self.session_epoch = (self.session_epoch or 0) + 1

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in
        return self.active

    def grants(self) -> list[Grant]:
        """Own grants, then those of today's delegations to this user (acting for someone)."""
        own = [Grant(role=r.role, region_code=r.region.code) for r in self.roles]
        today = wita_today()
        acting = [
            Grant(role=d.role, region_code=d.region.code, acting_for=d.delegator_id)
            for d in self.acting_delegations
            if d.is_active_on(today)
        ]
        return own + acting

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleAssignment(db.Model):
    """A role held by a user in one region (a district, or the province for provincial roles)."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)

    user: Mapped[User] = relationship(back_populates="roles")
    region: Mapped[Region] = relationship(lazy="joined")


def wita_today() -> date:
    """Today's calendar date in WITA: delegations start and end on WITA dates."""
    return utcnow().astimezone(WITA).date()


class Delegation(db.Model):
    """A role the delegator holds in a region, given to the delegate for a WITA date range
    (inclusive): the delegate acts as Plt/Plh, and the history names both people. It ends by
    itself after `ends_on`, or earlier when `ended_at` is set."""

    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("delegate_id <> delegator_id", name="not_to_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    region: Mapped[Region] = relationship(lazy="joined")

    def is_active_on(self, day: date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on

    def is_over_on(self, day: date) -> bool:
        """Ended early, or its last day has passed."""
        return self.ended_at is not None or self.ends_on < day


def delegator_holds_role() -> ColumnElement[bool]:
    """The delegator still holds the delegated role in its region (a role taken away from
    the delegator is taken away from the delegate too)."""
    return exists().where(
        RoleAssignment.user_id == Delegation.delegator_id,
        RoleAssignment.role == Delegation.role,
        RoleAssignment.region_id == Delegation.region_id,
    )


def active_on(day: date) -> ColumnElement[bool]:
    """SQL: the delegation is in force on `day` (not ended early, `day` within its dates)."""
    return and_(
        Delegation.ended_at.is_(None), Delegation.starts_on <= day, Delegation.ends_on >= day
    )


def _acting_join() -> ColumnElement[bool]:
    return and_(
        User.id == Delegation.delegate_id,
        Delegation.ended_at.is_(None),
        delegator_holds_role(),
    )


class PasswordResetToken(db.Model):
    """A password reset link sent by email. Only the SHA-256 of its secret is stored, so the
    table alone opens no account; it works once, until `expires_at`."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at and self.user.active
