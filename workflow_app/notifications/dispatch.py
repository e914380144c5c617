"""Queue the delivery of committed outbox rows. Never raises: a row that could not be
queued stays pending and the periodic relay queues it again."""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)

DELIVER_TASK = "workflow_app.notifications.deliver"


def queue_delivery(ids: list[int]) -> None:
    if not ids:
        return
    celery = current_app.extensions.get("celery")
    if celery is None:
        return
    for notification_id in ids:
        try:
            celery.send_task(DELIVER_TASK, args=[notification_id], retry=False)
        except Exception as exc:  # the broker is down: the relay will pick the row up
            log.warning("could not queue notification %s: %s", notification_id, exc)
            return
