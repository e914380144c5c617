"""The working-day calendar as this installation knows it: the package's holidays plus the
dates an administrator added or removed."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import select

from ..engine.calendar import WorkingCalendar
from ..extensions import db
from .models import CalendarOverride


def current_calendar() -> WorkingCalendar:
    """The calendar with today's overrides (one query). Calendars are kept per set of
    overrides: building one loads the package's holidays, which costs more than the query."""
    overrides = db.session.execute(select(CalendarOverride.day, CalendarOverride.is_holiday)).all()
    added = frozenset(day for day, is_holiday in overrides if is_holiday)
    removed = frozenset(day for day, is_holiday in overrides if not is_holiday)
    return _calendar(added, removed)


@lru_cache(maxsize=16)
def _calendar(added: frozenset[date], removed: frozenset[date]) -> WorkingCalendar:
    return WorkingCalendar(added_holidays=added, removed_holidays=removed)
