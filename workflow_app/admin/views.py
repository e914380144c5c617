"""The admin start page and the outbox: emails that failed for good or are stuck pending,
each with its error, and a retry that makes it pending again and queues it."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ..extensions import db
from ..models_base import utcnow
from ..notifications.dispatch import queue_delivery
from ..notifications.models import FAILED, PENDING, SENT, Notification
from ..notifications.relay import stale_cutoff
from ..notifications.rendering import case_path, event_label
from ..unit_of_work import unit_of_work
from .blueprint import blueprint
from .forms import ButtonForm
from .mailbox import mailbox_enabled

LIST_LIMIT = 200


def _count(*conditions: object) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(*conditions)) or 0


def _stuck_condition() -> tuple[object, ...]:
    return (Notification.status == PENDING, Notification.next_attempt_at < stale_cutoff(utcnow()))


@blueprint.get("/")
def index() -> str:
    counts = {
        "failed": _count(Notification.status == FAILED),
        "stuck": _count(*_stuck_condition()),
        "pending": _count(Notification.status == PENDING),
        "sent_today": _count(
            Notification.status == SENT, Notification.sent_at >= utcnow() - timedelta(days=1)
        ),
    }
    return render_template("admin/index.html", counts=counts, mailbox=mailbox_enabled())


def _rows(*conditions: object) -> list[Notification]:
    query = (
        select(Notification)
        .where(*conditions)
        .options(selectinload(Notification.recipient))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


@blueprint.get("/outbox")
def outbox() -> str:
    return render_template(
        "admin/outbox.html",
        failed=_rows(Notification.status == FAILED),
        stuck=_rows(*_stuck_condition()),
        failed_count=_count(Notification.status == FAILED),
        stuck_count=_count(*_stuck_condition()),
        limit=LIST_LIMIT,
        form=ButtonForm(),
        event_label=event_label,
        case_path=case_path,
    )


def _make_pending(*conditions: object) -> list[int]:
    """Pending again with a fresh count of attempts; the ids, to queue after the commit."""
    with unit_of_work():
        ids = list(db.session.scalars(select(Notification.id).where(*conditions)))
        if ids:
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    return ids


# The POST routes need no form validation of their own: CSRFProtect checks every POST's token
# before the view runs (a missing or wrong one is a 400 page).
@blueprint.post("/outbox/<int:notification_id>/retry")
def retry(notification_id: int) -> Response:
    row = db.session.get(Notification, notification_id)
    if row is None:
        abort(404)
    if row.status == SENT:
        flash(_("Email %(id)s was already sent; nothing to retry.", id=row.id), "info")
        return redirect(url_for("admin.outbox"))
    ids = _make_pending(Notification.id == notification_id, Notification.status != SENT)
    queue_delivery(ids)
    flash(_("Email %(id)s is queued for sending again.", id=notification_id), "success")
    return redirect(url_for("admin.outbox"))


@blueprint.post("/outbox/retry-failed")
def retry_failed() -> Response:
    ids = _make_pending(Notification.status == FAILED)
    queue_delivery(ids)
    flash(
        ngettext(
            "%(num)d failed email is queued for sending again.",
            "%(num)d failed emails are queued for sending again.",
            len(ids),
        ),
        "success",
    )
    return redirect(url_for("admin.outbox"))
