"""Quarters (triwulan) of a year, and when each one's report falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..engine.calendar import WITA, WorkingCalendar

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    def __post_init__(self) -> None:
        if self.number not in ROMAN:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the quarter, in WITA."""
        return datetime.combine(self.next().first_day, time.min, tzinfo=WITA)

    @property
    def label(self) -> str:
        return f"TW {ROMAN[self.number]} {self.year}"

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)


def report_clock_start(quarter: Quarter, calendar: WorkingCalendar) -> datetime:
    """Where a report's deadline counts from: the end of the quarter's last working day.

    Counting N working days from there lands at the end of the N-th working day after the
    quarter, whatever weekday the quarter ends on.
    """
    day = quarter.last_day
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, END_OF_DAY, tzinfo=WITA)


def quarters_ended_between(after: datetime, until: datetime) -> list[Quarter]:
    """Quarters whose end falls in (after, until]: those a plan monitored since `after` must
    report on by `until`."""
    quarter = Quarter.of(after.astimezone(WITA).date())
    found = []
    while quarter.ends_at <= until:
        if quarter.ends_at > after:
            found.append(quarter)
        quarter = quarter.next()
    return found
