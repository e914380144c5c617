"""A day's count of working days is walked once per (calendar, today, due day), across lists
and requests (deadlines.display._counted): a list of old deadlines walked the days between on
every visit. Another calendar (an admin's new holiday) or another day counts again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from workflow_app.deadlines.display import due_status, due_statuses
from workflow_app.engine.calendar import WorkingCalendar

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday, 10.00 WITA


@dataclass
class Item:
    id: int
    due_at: datetime | None


ITEMS = [
    Item(1, datetime(2026, 6, 1, 2, 0, tzinfo=UTC)),
    Item(2, datetime(2026, 6, 1, 5, 0, tzinfo=UTC)),  # the same WITA day, another instant
    Item(3, datetime(2027, 1, 20, 2, 0, tzinfo=UTC)),
    Item(4, NOW),
    Item(5, None),
]


def _walks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[date, date]]:
    walked: list[tuple[date, date]] = []
    between = WorkingCalendar.working_days_between

    def counted(self: WorkingCalendar, start: datetime, end: datetime) -> int:
        walked.append((start.date(), end.date()))
        return between(self, start, end)

    monkeypatch.setattr(WorkingCalendar, "working_days_between", counted)
    return walked


def test_a_days_count_is_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = WorkingCalendar()
    first = due_statuses(ITEMS, NOW, lambda: calendar)
    walked = _walks(monkeypatch)
    again = due_statuses(ITEMS, NOW, lambda: calendar)
    assert walked == [] and again == first
    assert again == {
        item.id: due_status(item.due_at, NOW, calendar) for item in ITEMS if item.due_at
    }
    assert [again[i].status for i in (1, 2, 3, 4)] == ["overdue", "overdue", "ahead", "today"]


def test_another_calendar_or_day_counts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = WorkingCalendar()
    ahead = due_statuses(ITEMS, NOW, lambda: calendar)[3].working_days
    walked = _walks(monkeypatch)
    holiday = WorkingCalendar(added_holidays=[date(2027, 1, 4)])
    other = due_statuses(ITEMS, NOW, lambda: holiday)
    assert len(walked) == 2  # two days with a count (today's is 0, not walked)
    assert other[3].working_days == ahead - 1  # the new holiday is not a working day
    tomorrow = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    later = due_statuses(ITEMS, tomorrow, lambda: calendar)
    assert len(walked) == 5  # the three dated days again, for another today
    assert later[4].status == "overdue"
