"""What an operator checks each morning (or a monitor every few minutes), in one place:
is the broker reachable, do emails leave, does the sweep fire the deadlines on time. Used by
`workflow-app status`; every check is one aggregate query."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .deadlines.models import ScheduledStep
from .extensions import db
from .health import broker_ok
from .notifications.models import FAILED, PENDING, SENT, Notification


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    summary: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _age(oldest: datetime | None, now: datetime) -> str:
    if oldest is None:
        return ""
    hours, minutes = divmod(int((now - oldest).total_seconds() // 60), 60)
    return f", the oldest {hours} h {minutes} min" if hours else f", the oldest {minutes} min"


def broker_check() -> Check:
    up = broker_ok()
    return Check("broker", up, "reachable" if up else "does not answer: nothing is delivered")


def outbox_checks(now: datetime, stale: timedelta) -> list[Check]:
    cutoff = now - stale
    stuck, oldest = db.session.execute(
        select(func.count(), func.min(Notification.next_attempt_at)).where(
            Notification.status == PENDING, Notification.next_attempt_at < cutoff
        )
    ).one()
    failed = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.status == FAILED)
    )
    sent = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.status == SENT, Notification.sent_at >= now - timedelta(days=1))
    )
    stuck_text = (
        f"{stuck} email(s) waiting longer than {_minutes(stale)}{_age(oldest, now)}: "
        "is a worker running, and beat (the relay)?"
        if stuck
        else f"none waiting longer than {_minutes(stale)}; {sent} sent in the last 24 h"
    )
    failed_text = (
        f"{failed} email(s) failed for good: fix the mail server, then retry at /admin/outbox"
        if failed
        else "no failed email"
    )
    return [
        Check("outbox", stuck == 0, stuck_text),
        Check("failed emails", failed == 0, failed_text),
    ]


def deadline_check(now: datetime, stale: timedelta) -> Check:
    late, oldest = db.session.execute(
        select(func.count(), func.min(ScheduledStep.fire_at)).where(
            ScheduledStep.status == "pending", ScheduledStep.fire_at < now - stale
        )
    ).one()
    if late:
        return Check(
            "deadlines",
            False,
            f"{late} reminder/escalation step(s) due more than {_minutes(stale)} ago and not "
            f"sent{_age(oldest, now)}: is beat running (the sweep)?",
        )
    return Check("deadlines", True, "every due reminder and escalation was sent")


def definitions_check() -> Check:
    """Cases or pending steps whose definition version, state or step is not loaded: the
    sweep skips such steps (and says so in its log) rather than stop for everyone."""
    from .versions.references import missing_references
    from .workflows import registry

    problems = missing_references(registry())
    if problems:
        return Check(
            "definitions",
            False,
            f"{len(problems)} problem(s) with the loaded definitions: {problems[0]}"
            + (
                f" (and {len(problems) - 1} more: workflow-app workflows check)"
                if len(problems) > 1
                else ""
            ),
        )
    return Check("definitions", True, "every case and pending step finds its definition")


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} min"


def system_status(now: datetime, stale: timedelta) -> list[Check]:
    return [
        broker_check(),
        *outbox_checks(now, stale),
        deadline_check(now, stale),
        definitions_check(),
    ]
