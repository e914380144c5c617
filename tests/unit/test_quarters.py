"""Quarters and the day their report falls due: ten working days after the quarter's end,
whatever weekday the quarter ends on and whatever holidays follow."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow_app.engine.calendar import WITA, WorkingCalendar
from workflow_app.monitoring.quarters import Quarter, quarters_ended_between, report_clock_start

CALENDAR = WorkingCalendar()


def due_day(quarter: Quarter, working_days: int = 10, calendar: WorkingCalendar = CALENDAR):
    start = report_clock_start(quarter, calendar)
    return calendar.add_working_days(start, working_days).astimezone(WITA)


@pytest.mark.parametrize(
    ("quarter", "first", "last", "label"),
    [
        (Quarter(2026, 1), date(2026, 1, 1), date(2026, 3, 31), "TW I 2026"),
        (Quarter(2026, 2), date(2026, 4, 1), date(2026, 6, 30), "TW II 2026"),
        (Quarter(2026, 3), date(2026, 7, 1), date(2026, 9, 30), "TW III 2026"),
        (Quarter(2026, 4), date(2026, 10, 1), date(2026, 12, 31), "TW IV 2026"),
    ],
)
def test_a_quarter_knows_its_days_and_its_name(
    quarter: Quarter, first: date, last: date, label: str
) -> None:
    assert (quarter.first_day, quarter.last_day, quarter.label) == (first, last, label)
    assert Quarter.of(first) == Quarter.of(last) == quarter


def test_quarters_follow_each_other_across_years() -> None:
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == Quarter(2026, 4)
    with pytest.raises(ValueError):
        Quarter(2026, 5)


def test_the_first_quarter_of_2026_is_due_after_good_friday() -> None:
    # 1–15 April 2026 holds Good Friday (3 April): the tenth working day is 15 April.
    due = due_day(Quarter(2026, 1))
    assert (due.date(), due.hour, due.minute) == (date(2026, 4, 15), 23, 59)


def test_a_quarter_ending_on_a_weekend_counts_from_the_next_working_day() -> None:
    # 30 September 2029 is a Sunday: working days 1–10 are 1–12 October.
    assert due_day(Quarter(2029, 3)).date() == date(2029, 10, 12)


def test_a_holiday_declared_by_an_admin_pushes_the_deadline() -> None:
    calendar = WorkingCalendar(added_holidays=[date(2026, 10, 5)])
    assert due_day(Quarter(2026, 3), calendar=calendar).date() == date(2026, 10, 15)


def test_only_quarters_that_ended_within_the_window_are_listed() -> None:
    since = datetime(2026, 7, 15, tzinfo=WITA)
    assert quarters_ended_between(since, datetime(2026, 9, 30, 23, 0, tzinfo=WITA)) == []
    assert quarters_ended_between(since, datetime(2026, 10, 1, 0, 0, tzinfo=WITA)) == [
        Quarter(2026, 3)
    ]
    assert quarters_ended_between(since, datetime(2027, 1, 5, tzinfo=WITA)) == [
        Quarter(2026, 3),
        Quarter(2026, 4),
    ]
