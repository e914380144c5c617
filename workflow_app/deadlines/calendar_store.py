"""The working-day calendar as this installation knows it: the package's holidays plus the
dates an administrator added or removed."""

from __future__ import annotations

from sqlalchemy import select

from ..engine.calendar import WorkingCalendar
from ..extensions import db
from .models import CalendarOverride


def current_calendar() -> WorkingCalendar:
    overrides = db.session.execute(select(CalendarOverride.day, CalendarOverride.is_holiday)).all()
    return WorkingCalendar(
        added_holidays=[day for day, is_holiday in overrides if is_holiday],
        removed_holidays=[day for day, is_holiday in overrides if not is_holiday],
    )
