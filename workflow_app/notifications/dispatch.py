"""Queue the delivery of committed outbox rows. Never raises: a row that could not be
queued stays pending and the periodic relay queues it again."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app

from ..logs import TASK_HEADER

log = logging.getLogger(__name__)

DELIVER_TASK = "workflow_app.notifications.deliver"


def queue_delivery(ids: list[int], request_ids: Mapping[int, str | None] | None = None) -> None:
    """Queue each row's delivery. `request_ids`: the request that wrote each row, for rows
    queued later (the relay): their delivery logs under it, not under the relay's id."""
    if not ids:
        return
    celery = current_app.extensions.get("celery")
    if celery is None:
        return
    for notification_id in ids:
        origin = (request_ids or {}).get(notification_id)
        headers = {TASK_HEADER: origin} if origin else None
        try:
            celery.send_task(DELIVER_TASK, args=[notification_id], retry=False, headers=headers)
        except Exception as exc:  # the broker is down: the relay will pick the row up
            log.warning("could not queue notification %s: %s", notification_id, exc)
            return
