"""Queue the delivery of committed outbox rows. Never raises: a row that could not be
queued stays pending and the periodic relay queues it again.

One task per chunk of up to `NOTIFICATION_DELIVERY_BATCH` rows (delivery.deliver_rows): a
message per row would cost each row a broker round trip, an acknowledgement and a hand-off to
the pool. The one-row task (`DELIVER_TASK`) stays for the messages queued before chunks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from flask import current_app

from ..logs import TASK_HEADER

log = logging.getLogger(__name__)

# One row per message: no longer queued here, still delivered (a public interface).
DELIVER_TASK = "workflow_app.notifications.deliver"
DELIVER_ROWS_TASK = "workflow_app.notifications.deliver_rows"
DEFAULT_CHUNK = 50

Chunk = tuple[str | None, list[int]]


def chunk_size() -> int:
    return max(1, int(current_app.config.get("NOTIFICATION_DELIVERY_BATCH", DEFAULT_CHUNK)))


def delivery_chunks(
    ids: Sequence[int], request_ids: Mapping[int, str | None] | None, size: int
) -> list[Chunk]:
    """`ids` in chunks of at most `size`, in their order, each with the one request that wrote
    its rows (a task logs under one request id): (request id, ids)."""
    by_origin: dict[str | None, list[int]] = {}
    for notification_id in ids:
        by_origin.setdefault((request_ids or {}).get(notification_id), []).append(notification_id)
    return [
        (origin, rows[start : start + size])
        for origin, rows in by_origin.items()
        for start in range(0, len(rows), size)
    ]


def queue_delivery(ids: list[int], request_ids: Mapping[int, str | None] | None = None) -> None:
    """Queue the rows' delivery. `request_ids`: the request that wrote each row, for rows
    queued later (the relay): their delivery logs under it, not under the relay's id."""
    if not ids:
        return
    celery = current_app.extensions.get("celery")
    if celery is None:
        return
    for origin, chunk in delivery_chunks(ids, request_ids, chunk_size()):
        headers = {TASK_HEADER: origin} if origin else None
        try:
            celery.send_task(DELIVER_ROWS_TASK, args=[chunk], retry=False, headers=headers)
        except Exception as exc:  # the broker is down: the relay will pick the rows up
            log.warning("could not queue notifications %s: %s", chunk, exc)
            return
