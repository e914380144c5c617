"""The password reset email: an outbox row of event `password_reset` as subject, text and
HTML in the recipient's language (notifications/rendering.py hands such rows here)."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..notifications.models import Notification
from ..notifications.rendering import (
    PASSWORD_RESET,
    RenderedEmail,
    _language,
    _tidy_text,
    register_renderer,
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
    with force_locale(_language(notification)):
        subject = _("Choose a new password")
        context = {
            "subject": subject,
            "language": _language(notification),
            "recipient_name": str(recipient) if recipient is not None else "",
            "username": payload.get("username", ""),
            "reset_url": _link_of(payload),
            "minutes": int(payload.get("minutes") or 0),
            "outbox_id": notification.id,
        }
        text = render_template("emails/password_reset.txt", **context)
        html = render_template("emails/password_reset.html", **context)
    return RenderedEmail(subject=subject, text=_tidy_text(text), html=html)
