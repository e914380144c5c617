"""The log of administrative acts: one append-only row per act on accounts, roles, delegations,
tokens or the calendar (`admin_act`), and the log's head (`admin_act_head`).

The rows form one hash chain in id order (admin_log.py writes them, admin_verify.py checks
them). The head is a single row naming the last act written: appending locks it, so two acts
never link to the same previous row, and it is what shows acts cut off the end of the log
(their links are intact, but the head still names the last of them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime

HEAD_ID = 1  # the head's only row


class AdminAct(db.Model):
    """One administrative act: who (actor), what (action, details), to whom (target), when
    (created_at, UTC) and from where (client address, request id). Never updated or deleted."""

    __tablename__ = "admin_act"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # None: the command line (or the app itself); the label says who then.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # What changed (role and region, dates, a token's name and prefix): never a secret.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_address: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class AdminActHead(db.Model):
    """The last act of the log (id and hash); None before the first."""

    __tablename__ = "admin_act_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AdminAct, "before_update")
@event.listens_for(AdminAct, "before_delete")
def _log_is_append_only(mapper: object, connection: object, target: AdminAct) -> None:
    raise PermissionError("the log of administrative acts is append-only")
