"""The application's "now". Always the real time, except in a test of the running stack
(tests/system/), which moves every process's clock forward at once by writing a number of
seconds into the file named by the TEST_CLOCK_FILE setting. The production profile refuses
that setting (config.check_profile), so a deployed system can never be time-travelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


def clock_offset() -> timedelta:
    """How far the test clock is ahead of the real one (zero without TEST_CLOCK_FILE)."""
    if not has_app_context():
        return timedelta(0)
    path = current_app.config.get("TEST_CLOCK_FILE")
    if not path:
        return timedelta(0)
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return timedelta(0)
    return timedelta(seconds=float(text or 0))


def utcnow() -> datetime:
    return datetime.now(UTC) + clock_offset()
