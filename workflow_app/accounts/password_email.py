"""The password reset email: an outbox row of event `password_reset` as subject, text and
HTML in the recipient's language (notifications/rendering.py hands such rows here)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..notifications.models import Notification
from ..notifications.rendering import (
    PASSWORD_RESET,
    RenderedEmail,
    language_of,
    register_renderer,
    render_email_templates,
    tidy_text,
)
from .models import PasswordResetToken


def _link_of(payload: dict) -> str:
    """The reset link, derived again from its row (the outbox never holds the secret)."""
    from .passwords import link_secret, reset_url  # passwords imports this module

    link = db.session.get(PasswordResetToken, payload.get("reset_link_id") or 0)
    return reset_url(link_secret(link)) if link is not None else ""


@register_renderer(PASSWORD_RESET)
def render_password_reset(notification: Notification) -> RenderedEmail:
    payload = dict(notification.payload or {})
    recipient = notification.recipient
    language = language_of(notification)
    with force_locale(language):
        subject = _("Choose a new password")
        context = {
            "subject": subject,
            "language": language,
            "recipient_name": str(recipient) if recipient is not None else "",
            "username": payload.get("username", ""),
            "reset_url": _link_of(payload),
            "minutes": int(payload.get("minutes") or 0),
            "outbox_id": notification.id,
        }
        # The minutes are counted in a `%(minutes)d`: part of the shape, not filled in.
        text, html = render_email_templates("password_reset", context, keyed={"minutes"})
    return RenderedEmail(subject=subject, text=tidy_text(text), html=html)
