"""The working-day calendar against the known Indonesian days off of 2026 (national holidays
and cuti bersama from the `holidays` package): Imlek 16–17 February, Nyepi 18–19 March,
Idul Fitri 20–24 March (cuti bersama 20, 23 and 24 March), Natal 24–25 December.

Deadlines are counted in these working days, in WITA, keeping the time of day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflow_app.engine.calendar import WITA, WorkingCalendar

CALENDAR = WorkingCalendar()


def wita(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA)


# --- which days are working days ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Imlek
        (date(2026, 2, 16), False),  # Monday, cuti bersama Imlek
        (date(2026, 2, 17), False),  # Tuesday, Tahun Baru Imlek
        (date(2026, 2, 18), True),
        (date(2026, 3, 16), True),  # Monday
        (date(2026, 3, 17), True),  # Tuesday
        (date(2026, 3, 18), False),  # Wednesday, cuti bersama Nyepi
        (date(2026, 3, 19), False),  # Thursday, Hari Suci Nyepi
        (date(2026, 3, 20), False),  # Friday, cuti bersama Idul Fitri
        (date(2026, 3, 21), False),  # Saturday, Idul Fitri
        (date(2026, 3, 22), False),  # Sunday, Idul Fitri (second day)
        (date(2026, 3, 23), False),  # Monday, cuti bersama Idul Fitri
        (date(2026, 3, 24), False),  # Tuesday, cuti bersama Idul Fitri
        (date(2026, 3, 25), True),  # Wednesday: back at work
        (date(2026, 3, 28), False),  # an ordinary Saturday
        (date(2026, 3, 29), False),  # an ordinary Sunday
        (date(2026, 12, 23), True),
        (date(2026, 12, 24), False),  # Thursday, cuti bersama Natal
        (date(2026, 12, 25), False),  # Friday, Natal
        (date(2026, 12, 28), True),  # Monday after
    ],
)
def test_working_days_of_2026(day: date, working: bool) -> None:
    assert CALENDAR.is_working_day(day) is working


def test_holidays_carry_their_indonesian_names() -> None:
    assert CALENDAR.holiday_name(date(2026, 3, 20)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert CALENDAR.holiday_name(date(2026, 3, 19)) == "Hari Suci Nyepi"
    assert CALENDAR.holiday_name(date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert CALENDAR.holiday_name(date(2026, 3, 25)) is None
    assert CALENDAR.holiday_name(date(2026, 3, 28)) is None  # a weekend is no holiday


# --- adding working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # An ordinary week: Monday + 5 = next Monday, the same time of day.
        (wita(date(2026, 3, 2)), 5, wita(date(2026, 3, 9))),
        # Nyepi and Idul Fitri close 18–24 March: Monday 16 + 5 lands on Monday 30.
        (wita(date(2026, 3, 16)), 5, wita(date(2026, 3, 30))),
        (wita(date(2026, 3, 17), 15, 45), 1, wita(date(2026, 3, 25), 15, 45)),
        # Ten working days from Friday 13 March also skip Good Friday (3 April).
        (wita(date(2026, 3, 13)), 10, wita(date(2026, 4, 6))),
        # Imlek: Friday 13 February + 1 is Wednesday 18.
        (wita(date(2026, 2, 13), 9, 30), 1, wita(date(2026, 2, 18), 9, 30)),
        # Natal: Wednesday 23 December + 1 is Monday 28.
        (wita(date(2026, 12, 23), 14), 1, wita(date(2026, 12, 28), 14)),
        # Backwards, across the same windows.
        (wita(date(2026, 3, 25)), -1, wita(date(2026, 3, 17))),
        (wita(date(2026, 3, 30)), -5, wita(date(2026, 3, 16))),
        (wita(date(2026, 2, 18), 9, 30), -1, wita(date(2026, 2, 13), 9, 30)),
        (wita(date(2026, 12, 28), 14), -2, wita(date(2026, 12, 22), 14)),
        # Zero: the same moment.
        (wita(date(2026, 3, 16), 11, 5), 0, wita(date(2026, 3, 16), 11, 5)),
    ],
)
def test_add_working_days_skips_weekends_and_holidays(
    start: datetime, days: int, expected: datetime
) -> None:
    assert CALENDAR.add_working_days(start, days) == expected


def test_a_moment_on_saturday_counts_from_monday_at_eight() -> None:
    saturday = wita(date(2026, 3, 7), 15)
    assert CALENDAR.start_of_work(saturday) == wita(date(2026, 3, 9), 8)
    assert CALENDAR.add_working_days(saturday, 0) == wita(date(2026, 3, 9), 8)
    assert CALENDAR.add_working_days(saturday, 5) == wita(date(2026, 3, 16), 8)


def test_a_moment_inside_the_idul_fitri_break_counts_from_the_first_day_back() -> None:
    saturday = wita(date(2026, 3, 21), 9)
    assert CALENDAR.start_of_work(saturday) == wita(date(2026, 3, 25), 8)
    assert CALENDAR.add_working_days(saturday, 5) == wita(date(2026, 4, 1), 8)
    assert CALENDAR.add_working_days(saturday, -1) == wita(date(2026, 3, 17), 8)


def test_a_moment_on_a_working_day_is_kept_even_outside_office_hours() -> None:
    evening = wita(date(2026, 3, 16), 21, 30)
    assert CALENDAR.start_of_work(evening) == evening
    assert CALENDAR.add_working_days(evening, 1) == wita(date(2026, 3, 17), 21, 30)


# --- times: the day is decided in WITA ------------------------------------------------------


def test_a_utc_moment_is_counted_on_its_wita_day_and_returned_in_utc() -> None:
    # 02.00 UTC on Monday 16 March is 10.00 WITA the same day.
    start = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
    due = CALENDAR.add_working_days(start, 5)
    assert due == datetime(2026, 3, 30, 2, 0, tzinfo=UTC)
    assert due.tzinfo == UTC
    assert due.astimezone(WITA) == wita(date(2026, 3, 30), 10)


def test_a_utc_evening_is_already_the_next_day_in_wita() -> None:
    # 17.00 UTC on Tuesday 17 March is 01.00 WITA on Wednesday 18, cuti bersama Nyepi:
    # counting starts at 08.00 WITA on Wednesday 25 (00.00 UTC), not on the Tuesday.
    late = datetime(2026, 3, 17, 17, 0, tzinfo=UTC)
    assert CALENDAR.start_of_work(late) == wita(date(2026, 3, 25), 8)
    assert CALENDAR.add_working_days(late, 0) == datetime(2026, 3, 25, 0, 0, tzinfo=UTC)
    # 23.30 UTC on Sunday 15 March is 07.30 WITA on Monday 16: a working day already.
    early = datetime(2026, 3, 15, 23, 30, tzinfo=UTC)
    assert CALENDAR.start_of_work(early) == early
    assert CALENDAR.add_working_days(early, 1).astimezone(WITA) == wita(date(2026, 3, 17), 7, 30)


def test_wita_is_eight_hours_ahead_of_utc_all_year() -> None:
    for month in (1, 7):  # no daylight saving in Makassar
        moment = datetime(2026, month, 1, 0, 0, tzinfo=UTC)
        assert moment.astimezone(WITA).utcoffset().total_seconds() == 8 * 3600


# --- an administrator's overrides ---------------------------------------------------------


def test_a_day_off_declared_by_an_admin_moves_deadlines() -> None:
    calendar = WorkingCalendar(added_holidays=[date(2026, 3, 17)])
    assert not calendar.is_working_day(date(2026, 3, 17))
    assert calendar.holiday_name(date(2026, 3, 17)) == "Libur (ditetapkan admin)"
    # 25, 26, 27, 30, 31 March.
    assert calendar.add_working_days(wita(date(2026, 3, 16)), 5) == wita(date(2026, 3, 31))
    assert calendar.add_working_days(wita(date(2026, 3, 25)), -1) == wita(date(2026, 3, 16))
    # The package calendar is not changed by it.
    assert CALENDAR.is_working_day(date(2026, 3, 17))


def test_a_package_holiday_made_a_working_day_counts_again() -> None:
    calendar = WorkingCalendar(removed_holidays=[date(2026, 3, 20)])
    assert calendar.is_working_day(date(2026, 3, 20))
    assert calendar.holiday_name(date(2026, 3, 20)) is None
    # 17, 20, 25, 26, 27 March.
    assert calendar.add_working_days(wita(date(2026, 3, 16)), 5) == wita(date(2026, 3, 27))
    assert calendar.add_working_days(wita(date(2026, 3, 25)), -1) == wita(date(2026, 3, 20))


def test_removing_a_holiday_that_falls_on_a_weekend_does_not_make_it_a_working_day() -> None:
    calendar = WorkingCalendar(removed_holidays=[date(2026, 3, 21)])  # Saturday, Idul Fitri
    assert not calendar.is_working_day(date(2026, 3, 21))


def test_an_admin_may_declare_a_saturday_off_without_effect_on_the_count() -> None:
    calendar = WorkingCalendar(added_holidays=[date(2026, 3, 7)])
    assert calendar.add_working_days(wita(date(2026, 3, 6)), 1) == wita(date(2026, 3, 9))


# --- working days between two moments -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (wita(date(2026, 3, 16)), wita(date(2026, 3, 30)), 5),
        (wita(date(2026, 3, 30)), wita(date(2026, 3, 16)), -5),
        (wita(date(2026, 3, 16), 8), wita(date(2026, 3, 16), 17), 0),  # the same day
        (wita(date(2026, 3, 16), 17), wita(date(2026, 3, 16), 8), 0),
        (wita(date(2026, 3, 17)), wita(date(2026, 3, 25)), 1),  # across the whole break
        (wita(date(2026, 3, 25)), wita(date(2026, 3, 17)), -1),
        (wita(date(2026, 3, 20)), wita(date(2026, 3, 24)), 0),  # inside the break
        (wita(date(2026, 3, 6)), wita(date(2026, 3, 8)), 0),  # Friday to Sunday
        (wita(date(2026, 3, 7)), wita(date(2026, 3, 9)), 1),  # Saturday to Monday
        (wita(date(2026, 12, 23)), wita(date(2026, 12, 28)), 1),
    ],
)
def test_working_days_between_has_the_sign_of_the_direction(
    start: datetime, end: datetime, expected: int
) -> None:
    assert CALENDAR.working_days_between(start, end) == expected


def test_working_days_between_counts_wita_days_of_utc_moments() -> None:
    # 15.00 UTC Monday 16 March = 23.00 WITA Monday; 16.30 UTC = 00.30 WITA Tuesday.
    monday = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)
    tuesday = datetime(2026, 3, 16, 16, 30, tzinfo=UTC)
    assert CALENDAR.working_days_between(monday, tuesday) == 1


def test_working_days_between_undoes_add_working_days() -> None:
    start = wita(date(2026, 3, 16), 9)
    for days in (-7, -3, 0, 1, 5, 12):
        moved = CALENDAR.add_working_days(start, days)
        assert CALENDAR.working_days_between(start, moved) == days
