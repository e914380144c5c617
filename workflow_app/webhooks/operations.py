"""What an admin does with webhooks, each in the caller's transaction and on the admin log
(audit/admin_log.record_act; never the secret itself)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..accounts.models import User
from ..audit.admin_log import Action, record_act
from ..changes.models import EVENT_TYPES
from ..engine import InvalidInput
from ..extensions import db
from ..models_base import utcnow
from . import signing
from .addresses import UnsafeAddress, check_url
from .models import FAILED, PENDING, Webhook, WebhookDelivery, types_text


class WebhookRefused(InvalidInput):
    """A webhook the admin pages refuse; `field` names the form field the message is for."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class WebhookData:
    url: str
    event_types: list[str]
    description: str = ""


def _checked(data: WebhookData) -> WebhookData:
    try:
        check_url(data.url)
    except UnsafeAddress as exc:
        raise WebhookRefused(str(exc), "url") from exc
    types = [t for t in EVENT_TYPES if t in data.event_types]
    if not types or len(types) != len(set(data.event_types)):
        raise WebhookRefused(str(_l("Choose at least one event type.")), "event_types")
    return WebhookData(data.url.strip(), types, data.description.strip())


def _details(webhook: Webhook) -> dict[str, object]:
    return {
        "webhook_id": webhook.id,
        "url": webhook.url,
        "event_types": webhook.types,
        "active": webhook.active,
    }


def create_webhook(
    actor: User, data: WebhookData, given_secret: str | None = None
) -> tuple[Webhook, str]:
    """The new webhook and its secret (the one given, or a new one), to show once."""
    data = _checked(data)
    secret = given_secret.strip() if given_secret and given_secret.strip() else None
    if secret is not None:
        try:
            signing.key_of(secret)
        except signing.BadSecret as exc:
            raise WebhookRefused(
                str(_l("A secret is whsec_ followed by 24 to 64 bytes in base64.")), "secret"
            ) from exc
    secret = secret or signing.new_secret()
    webhook = Webhook(
        url=data.url,
        description=data.description,
        event_types=types_text(data.event_types),
        secret=secret,
        active=True,
    )
    db.session.add(webhook)
    db.session.flush()
    record_act(actor, Action.WEBHOOK_CREATED, details=_details(webhook))
    return webhook, secret


def update_webhook(actor: User, webhook: Webhook, data: WebhookData) -> None:
    data = _checked(data)
    before = _details(webhook)
    webhook.url = data.url
    webhook.description = data.description
    webhook.event_types = types_text(data.event_types)
    db.session.flush()
    after = _details(webhook)
    if after != before:
        changed = {key: after[key] for key in after if after[key] != before[key]}
        record_act(actor, Action.WEBHOOK_EDITED, details={"webhook_id": webhook.id, **changed})


def set_active(actor: User, webhook: Webhook, active: bool) -> bool:
    """Enable or disable (a disabled webhook gets no new deliveries; the pending ones are still
    sent). False if it already was so: nothing recorded."""
    if webhook.active == active:
        return False
    webhook.active = active
    db.session.flush()
    action = Action.WEBHOOK_ENABLED if active else Action.WEBHOOK_DISABLED
    record_act(actor, action, details=_details(webhook))
    return True


def rotate_secret(actor: User, webhook: Webhook) -> str:
    """A new secret, to show once; the old one stops signing at once."""
    webhook.secret = signing.new_secret()
    db.session.flush()
    record_act(actor, Action.WEBHOOK_SECRET_ROTATED, details={"webhook_id": webhook.id})
    return webhook.secret


def retry_delivery(actor: User, delivery: WebhookDelivery) -> bool:
    """A failed delivery pending again, with a fresh count of attempts and the same
    webhook-id; queue it after the commit. False if it was not failed."""
    changed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False
    db.session.refresh(delivery)
    record_act(
        actor,
        Action.WEBHOOK_DELIVERY_RETRIED,
        details={"webhook_id": delivery.webhook_id, "delivery_id": delivery.id},
    )
    return True
