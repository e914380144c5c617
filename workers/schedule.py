"""The beat schedule: the escalation sweep, the outbox relay and the monitoring round, each
every few seconds as configured, and the daily digest at 07.00 WITA. Exactly one beat should
run in production, but correctness never depends on it: a sweep claims each step once, a
relayed delivery of a sent row does nothing, a round opens each report once, and a user's
digest of a day is written once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from celery.schedules import crontab

from workflow_app.engine.calendar import WITA
from workflow_app.notifications.digest import DIGEST_TIME

from .tasks import DIGEST, MONITORING, RELAY, SWEEP, WEBHOOK_RELAY


def digest_crontab() -> crontab:
    """Every day at DIGEST_TIME in WITA, written in UTC (Celery's time zone here; WITA keeps
    UTC+8 all year). The task itself skips the days that are not working days: the calendar
    with the admin's overrides decides, not the day of the week."""
    utc = datetime.combine(datetime(2026, 1, 1), DIGEST_TIME, tzinfo=WITA).astimezone(UTC)
    return crontab(minute=utc.minute, hour=utc.hour)


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    sweep_every = float(config["ESCALATION_SWEEP_SECONDS"])
    relay_every = float(config["NOTIFICATION_RELAY_SECONDS"])
    monitoring_every = float(config["MONITORING_ROUND_SECONDS"])
    return {
        "escalation-sweep": {
            "task": SWEEP,
            "schedule": sweep_every,
            # A backlog of sweeps (the worker was down) is worth one run, not one per period.
            "options": {"expires": sweep_every},
        },
        "notification-relay": {
            "task": RELAY,
            "schedule": relay_every,
            "options": {"expires": relay_every},
        },
        "webhook-relay": {
            "task": WEBHOOK_RELAY,
            "schedule": relay_every,
            "options": {"expires": relay_every},
        },
        "monitoring-round": {
            "task": MONITORING,
            "schedule": monitoring_every,
            "options": {"expires": monitoring_every},
        },
        "notification-digest": {"task": DIGEST, "schedule": digest_crontab()},
    }
