"""How the commands print: UTC times, aligned tables, a refusal on one line."""

from __future__ import annotations

from datetime import UTC, datetime

from ..engine import GuardFailed, TransitionRefused


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
