"""/admin/webhooks: the admin's pages for webhooks (on the admin blueprint, so for the admin
role only): the list, a new one, editing, enabling and disabling, a new secret, and each
webhook's deliveries with a "send again" for a failed one. The secret is shown once, on the
page that answers its making."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ..admin.blueprint import blueprint
from ..admin.forms import ButtonForm
from ..extensions import db
from ..unit_of_work import unit_of_work
from . import operations as ops
from . import outbox as _outbox  # noqa: F401  (writes deliveries with each change)
from .dispatch import queue_deliveries
from .forms import EVENT_LABELS, NewWebhookForm, WebhookForm
from .models import FAILED, PENDING, Webhook, WebhookDelivery

DELIVERY_LIMIT = 200
Page = tuple[str, int]


def _webhook_or_404(webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        abort(404)
    return webhook


def _data(form: WebhookForm) -> ops.WebhookData:
    return ops.WebhookData(
        url=form.url.data or "",
        event_types=list(form.event_types.data or []),
        description=form.description.data or "",
    )


def _refused(form: WebhookForm, exc: ops.WebhookRefused) -> None:
    field = getattr(form, exc.field or "url")
    field.errors = [*field.errors, exc.message]


def _counts() -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.status.in_((PENDING, FAILED)))
        .group_by(WebhookDelivery.webhook_id, WebhookDelivery.status)
    )
    return {(row[0], row[1]): row[2] for row in rows}


@blueprint.get("/webhooks")
def webhooks() -> str:
    rows = list(db.session.scalars(select(Webhook).order_by(Webhook.id)))
    return render_template(
        "admin/webhooks.html",
        webhooks=rows,
        counts=_counts(),
        labels=EVENT_LABELS,
        form=ButtonForm(),
    )


def _form_page(form: WebhookForm, webhook: Webhook | None = None, status: int = 200) -> Page:
    page = render_template(
        "admin/webhooks_form.html", form=form, webhook=webhook, button=ButtonForm()
    )
    return page, status


def _secret_page(webhook: Webhook, secret: str) -> Page:
    return render_template("admin/webhooks_secret.html", webhook=webhook, secret=secret), 200


@blueprint.route("/webhooks/new", methods=["GET", "POST"])
def new_webhook() -> Page:
    form = NewWebhookForm()
    if not form.is_submitted():
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=400)
    try:
        with unit_of_work():
            webhook, secret = ops.create_webhook(current_user, _data(form), form.secret.data)
    except ops.WebhookRefused as exc:
        _refused(form, exc)
        return _form_page(form, status=400)
    return _secret_page(webhook, secret)


@blueprint.route("/webhooks/<int:webhook_id>", methods=["GET", "POST"])
def edit_webhook(webhook_id: int) -> Page | Response:
    webhook = _webhook_or_404(webhook_id)
    form = WebhookForm(obj=webhook)
    if not form.is_submitted():
        form.event_types.data = webhook.types
        return _form_page(form, webhook)
    if not form.validate():
        return _form_page(form, webhook, 400)
    try:
        with unit_of_work():
            ops.update_webhook(current_user, webhook, _data(form))
    except ops.WebhookRefused as exc:
        _refused(form, exc)
        return _form_page(form, webhook, 400)
    flash(_("Webhook %(id)s saved.", id=webhook.id), "success")
    return redirect(url_for("admin.webhooks"))


def _set_active(webhook_id: int, active: bool) -> Response:
    webhook = _webhook_or_404(webhook_id)
    with unit_of_work():
        ops.set_active(current_user, webhook, active)
    message = (
        _("Webhook %(id)s is enabled.", id=webhook_id)
        if active
        else _("Webhook %(id)s is disabled: it gets no new events.", id=webhook_id)
    )
    flash(message, "success")
    return redirect(url_for("admin.webhooks"))


@blueprint.post("/webhooks/<int:webhook_id>/disable")
def disable_webhook(webhook_id: int) -> Response:
    return _set_active(webhook_id, False)


@blueprint.post("/webhooks/<int:webhook_id>/enable")
def enable_webhook(webhook_id: int) -> Response:
    return _set_active(webhook_id, True)


@blueprint.post("/webhooks/<int:webhook_id>/secret")
def rotate_webhook_secret(webhook_id: int) -> Page:
    webhook = _webhook_or_404(webhook_id)
    with unit_of_work():
        secret = ops.rotate_secret(current_user, webhook)
    return _secret_page(webhook, secret)


@blueprint.get("/webhooks/<int:webhook_id>/deliveries")
def webhook_deliveries(webhook_id: int) -> str:
    webhook = _webhook_or_404(webhook_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .options(selectinload(WebhookDelivery.event))
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERY_LIMIT)
    )
    total = db.session.scalar(select(func.count()).where(WebhookDelivery.webhook_id == webhook.id))
    return render_template(
        "admin/webhooks_deliveries.html",
        webhook=webhook,
        deliveries=list(db.session.scalars(query)),
        total=total or 0,
        limit=DELIVERY_LIMIT,
        form=ButtonForm(),
    )


@blueprint.post("/webhooks/deliveries/<int:delivery_id>/retry")
def retry_webhook_delivery(delivery_id: int) -> Response:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    with unit_of_work():
        retried = ops.retry_delivery(current_user, delivery)
    if retried:
        queue_deliveries([delivery_id])
        flash(_("Delivery %(id)s is queued to be sent again.", id=delivery_id), "success")
    else:
        flash(_("Delivery %(id)s has not failed; nothing to send again.", id=delivery_id), "info")
    return redirect(url_for("admin.webhook_deliveries", webhook_id=delivery.webhook_id))
