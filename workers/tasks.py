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
RELAY = "workflow_app.notifications.relay"
SWEEP = "workflow_app.deadlines.sweep"
MONITORING = "workflow_app.monitoring.round"
DIGEST = "workflow_app.notifications.digest"


@shared_task(name=DELIVER, bind=True)
def deliver(self: Task, notification_id: int) -> str:
    """Send one outbox row, and under the same lease other rows that are due (over this
    process's one SMTP connection). The database counts the attempts and decides when to give
    up, so Celery retries without a limit of its own."""
    # A retry (its own, or one a batch queued for it) may take its row a moment early.
    outcomes = delivery.deliver_due(notification_id, first_run=self.request.retries == 0)
    for other_id, other in outcomes.items():
        # Another row of the batch failed for now (or was not tried): its retry is queued
        # here, as its own task already ran (or will find it not yet due).
        if other_id != notification_id and other.status == "retry":
            try:
                self.apply_async(args=[other_id], countdown=other.retry_in, retries=1, retry=False)
            except Exception as exc:  # the broker is down: the relay picks the row up
                log.warning("could not queue the retry of notification %s: %s", other_id, exc)
    outcome = outcomes[notification_id]
    if outcome.status == "retry":
        log.info(
            "notification %s: retry in %ss (%s)", notification_id, outcome.retry_in, outcome.error
        )
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    if outcome.status == "failed":
        log.warning("notification %s failed for good: %s", notification_id, outcome.error)
    return outcome.status


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
