"""The working-day calendar as this installation knows it: the package's holidays plus the
dates an administrator added or removed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from sqlalchemy import Select, select

from ..engine.calendar import WorkingCalendar
from ..extensions import db
from .models import CalendarOverride

# The overrides' rows (day, is_holiday): a caller may read them together with other rows.
OVERRIDES: Select[tuple[date, bool]] = select(CalendarOverride.day, CalendarOverride.is_holiday)


def current_calendar() -> WorkingCalendar:
    """The calendar with today's overrides (one query). Calendars are kept per set of
    overrides: building one loads the package's holidays, which costs more than the query."""
    return calendar_of(db.session.execute(OVERRIDES).all())


def calendar_of(overrides: Iterable[tuple[date, bool]]) -> WorkingCalendar:
    """The calendar with these overrides (day, is_holiday), as read from `OVERRIDES`."""
    overrides = list(overrides)
    added = frozenset(day for day, is_holiday in overrides if is_holiday)
    removed = frozenset(day for day, is_holiday in overrides if not is_holiday)
    return _calendar(added, removed)


@lru_cache(maxsize=16)
def _calendar(added: frozenset[date], removed: frozenset[date]) -> WorkingCalendar:
    return WorkingCalendar(added_holidays=added, removed_holidays=removed)
