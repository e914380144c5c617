"""A form submission refused because the session or its CSRF token had ended, kept for a
short while so that its user gets what they typed back (never a password or a file)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

# Why the submission was refused: the login had ended, or only the form's CSRF token.
SESSION_ENDED = "session_ended"
FORM_EXPIRED = "form_expired"


class PendingForm(db.Model):
    __tablename__ = "pending_form"

    # A random key, also held in the session of the browser that sent the form: only that
    # browser, logged in again as `user_id`, can have the values back.
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The page the form was on (path and query): the values go back into a form on it.
    path: Mapped[str] = mapped_column(String(2000))
    # The submitted fields as [name, value] pairs, in order (a name may repeat).
    fields: Mapped[list[list[str]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
