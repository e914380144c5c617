"""The task entry points. Each takes ids or an ISO time, never objects, and may safely run
twice: delivery skips a row already sent, the sweep claims each step once. The work itself
lives in workflow_app (delivery, relay, sweep); these only adapt it to Celery."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import Task, shared_task

from workflow_app.deadlines.sweep import run_sweep
from workflow_app.engine.calendar import WITA
from workflow_app.monitoring.rounds import run_round
from workflow_app.notifications import delivery
from workflow_app.notifications import relay as outbox_relay
from workflow_app.notifications.digest import send_digests
from workflow_app.webhooks import delivery as webhook_delivery
from workflow_app.webhooks import relay as webhook_relay
from workflow_app.webhooks.dispatch import DELIVER_TASK as WEBHOOK_DELIVER
from workflow_app.webhooks.dispatch import RELAY_TASK as WEBHOOK_RELAY

log = logging.getLogger(__name__)

DELIVER = "workflow_app.notifications.deliver"
DELIVER_ROWS = "workflow_app.notifications.deliver_rows"
RELAY = "workflow_app.notifications.relay"
SWEEP = "workflow_app.deadlines.sweep"
MONITORING = "workflow_app.monitoring.round"
DIGEST = "workflow_app.notifications.digest"


@shared_task(name=DELIVER_ROWS, bind=True)
def deliver_rows(self: Task, notification_ids: list[int]) -> str:
    """Send a chunk of outbox rows under one lease, over this process's one SMTP connection.
    The database counts the attempts and decides when to give up; each row to try again gets
    a task of its own (`_queue_retries`), so Celery retries nothing itself."""
    return _deliver(self, notification_ids)


@shared_task(name=DELIVER, bind=True)
def deliver(self: Task, notification_id: int) -> str:
    """Send one outbox row: the messages queued before rows were queued in chunks (a broker
    may still hold some at a deploy); delivered as a chunk of one."""
    return _deliver(self, [notification_id])


def _deliver(task: Task, ids: list[int]) -> str:
    # A retry (queued by `_queue_retries`) may take its rows a moment early; a first run not.
    outcomes = delivery.deliver_rows(ids, first_run=task.request.retries == 0)
    _queue_retries(outcomes)
    for row_id, outcome in outcomes.items():
        if outcome.status == "failed":
            log.warning("notification %s failed for good: %s", row_id, outcome.error)
    statuses = [outcome.status for outcome in outcomes.values()]
    return ", ".join(f"{status} {statuses.count(status)}" for status in dict.fromkeys(statuses))


def _queue_retries(outcomes: dict[int, delivery.DeliveryOutcome]) -> None:
    """A task per row whose attempt failed, after its own backoff (the rows of its chunk that
    were sent are not sent again); the rows left untried, out of time, together at once."""
    waits: dict[float, list[int]] = {}
    for row_id, outcome in outcomes.items():
        if outcome.status == "retry":
            waits.setdefault(outcome.retry_in or 0.0, []).append(row_id)
            log.info("notification %s: retry in %ss (%s)", row_id, outcome.retry_in, outcome.error)
    for countdown, ids in waits.items():
        try:
            # retries=1: the retry's rows may be taken a moment early (delivery._early).
            deliver_rows.apply_async(args=[ids], countdown=countdown, retries=1, retry=False)
        except Exception as exc:  # the broker is down: the relay picks the rows up
            log.warning("could not queue the retry of notifications %s: %s", ids, exc)


@shared_task(name=RELAY)
def relay() -> int:
    """Queue again the rows still pending after a while (the broker was down, a worker died)."""
    ids = outbox_relay.requeue_stale()
    if ids:
        log.info("relay queued %d pending notification(s) again", len(ids))
    return len(ids)


def parse_moment(text: str) -> datetime:
    """An ISO time; one without an offset is WITA, the time the province works in."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=WITA)


@shared_task(name=SWEEP)
def sweep(at: str | None = None) -> int:
    """Fire the escalation steps due at `at` (ISO; default now)."""
    fired = run_sweep(parse_moment(at) if at else None)
    if fired:
        log.info("sweep fired %d step(s)", len(fired))
    return len(fired)


@shared_task(name=MONITORING)
def monitoring_round(at: str | None = None) -> int:
    """Start monitoring the plans whose period began; open the reports of ended quarters."""
    result = run_round(parse_moment(at) if at else None)
    if result.started or result.opened:
        log.info(
            "monitoring: %d plan(s) started, %d report(s) opened",
            len(result.started),
            len(result.opened),
        )
    return len(result.started) + len(result.opened)


@shared_task(name=DIGEST)
def digest(at: str | None = None) -> int:
    """Write the daily digests of the day of `at` (ISO; default now) if it is a working day."""
    written = send_digests(parse_moment(at) if at else None)
    if written:
        log.info("digest: %d email(s) written", len(written))
    return len(written)


@shared_task(name=WEBHOOK_DELIVER, bind=True)
def deliver_webhook(self: Task, delivery_id: int) -> str:
    """POST one webhook delivery; retried like an email (the database counts the attempts)."""
    outcome = webhook_delivery.deliver(delivery_id)
    if outcome.status == "retry":
        log.info(
            "webhook delivery %s: retry in %ss (%s)", delivery_id, outcome.retry_in, outcome.error
        )
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    if outcome.status == "failed":
        log.warning("webhook delivery %s failed for good: %s", delivery_id, outcome.error)
    return outcome.status


@shared_task(name=WEBHOOK_RELAY)
def relay_webhooks() -> int:
    """Queue again the webhook deliveries still pending after a while."""
    ids = webhook_relay.requeue_stale()
    if ids:
        log.info("relay queued %d pending webhook deliveries again", len(ids))
    return len(ids)
