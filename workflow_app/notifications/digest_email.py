"""The digest email: an outbox row of event `digest` as subject, text and HTML in the
recipient's language, listing the events it tells of with the subject lines their own emails
have (rendering.subject_line) and a link to each case."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext

from ..templating import long_date, wita_datetime
from .digest import DIGEST_EVENT, digested_events
from .models import Notification
from .rendering import (
    RenderedEmail,
    case_path,
    language_of,
    register_renderer,
    render_email_templates,
    subject_line,
    tidy_text,
)


def _event_lines(digest: Notification, language: str, base_url: str) -> list[dict[str, Any]]:
    lines = []
    for row in digested_events(digest):
        payload = dict(row.payload or {})
        path = case_path(payload)
        lines.append(
            {
                "title": subject_line(row.event, payload, language),
                "at": wita_datetime(row.created_at),
                "actor": payload.get("actor_name") or "",
                "comment": payload.get("comment") or "",
                "url": f"{base_url}{path}" if path else "",
            }
        )
    return lines


@register_renderer(DIGEST_EVENT)
def render_digest(notification: Notification) -> RenderedEmail:
    payload = dict(notification.payload or {})
    language = language_of(notification)
    base_url = current_app.config["BASE_URL"].rstrip("/")
    recipient = notification.recipient
    with force_locale(language):
        events = _event_lines(notification, language, base_url)
        day = long_date(date.fromisoformat(payload["day"]))
        subject = ngettext(
            "Daily summary of %(day)s: %(num)d update",
            "Daily summary of %(day)s: %(num)d updates",
            len(events),
            day=day,
        )
        context = {
            "subject": subject,
            "headline": subject,
            "language": language,
            "recipient_name": str(recipient) if recipient is not None else "",
            "events": events,
            # The pages that list them all and where the choice of emails is made.
            "notifications_url": f"{base_url}/notifications",
            "account_url": f"{base_url}/account",
            "outbox_id": notification.id,
        }
        text, html = render_email_templates("digest", context)
    return RenderedEmail(subject=subject, text=tidy_text(text), html=html)
