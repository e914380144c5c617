"""What the commands share: UTC times, aligned tables, a refusal on one line, the user a
command acts as."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from ..accounts.models import User
from ..engine import GuardFailed, TransitionRefused
from ..extensions import db
from .exits import EXIT_NOT_FOUND, EXIT_REFUSED, CommandFailed


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def refusal_line(exc: TransitionRefused) -> str:
    line = f"refused ({exc.status} {exc.code}): {exc.message}"
    if isinstance(exc, GuardFailed) and exc.problems:
        line += ": " + " ".join(str(problem) for problem in exc.problems)
    return " ".join(line.split())  # one line, whatever the messages hold


def acting_user(username: str) -> User:
    """The active user a command acts as, or CommandFailed (3: unknown; 4: disabled)."""
    actor = db.session.scalar(select(User).where(User.username == username))
    if actor is None:
        raise CommandFailed(f"unknown user {username!r}", EXIT_NOT_FOUND)
    if not actor.is_active:
        raise CommandFailed(f"user {username!r} is disabled", EXIT_REFUSED)
    return actor
