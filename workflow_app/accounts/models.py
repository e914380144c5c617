from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..engine import Grant
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..regions.models import Region

_hasher = PasswordHasher()


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

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in
        return self.active

    def grants(self) -> list[Grant]:
        return [Grant(role=r.role, region_code=r.region.code) for r in self.roles]

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
