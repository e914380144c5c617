"""Queue the delivery of committed webhook deliveries. Never raises: one that could not be
queued stays pending and the relay queues it again (as notifications/dispatch.py)."""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)

DELIVER_TASK = "workflow_app.webhooks.deliver"
RELAY_TASK = "workflow_app.webhooks.relay"


def queue_deliveries(ids: list[int]) -> None:
    if not ids:
        return
    celery = current_app.extensions.get("celery")
    if celery is None:
        return
    for delivery_id in ids:
        try:
            celery.send_task(DELIVER_TASK, args=[delivery_id], retry=False)
        except Exception as exc:  # the broker is down: the relay will pick it up
            log.warning("could not queue webhook delivery %s: %s", delivery_id, exc)
            return
