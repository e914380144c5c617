"""The beat schedule: the escalation sweep, the outbox relay and the monitoring round, each
every few seconds as configured. Exactly one beat should run in production, but correctness
never depends on it: a sweep claims each step once, a relayed delivery of a sent row does
nothing, and a round opens each report once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .tasks import MONITORING, RELAY, SWEEP


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
        "monitoring-round": {
            "task": MONITORING,
            "schedule": monitoring_every,
            "options": {"expires": monitoring_every},
        },
    }
