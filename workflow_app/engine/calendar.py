"""Indonesian working days in WITA: Monday–Friday, minus national holidays and cuti bersama
(from the `holidays` package), with dates an administrator added or removed.

Deadlines are counted in working days and keep the time of day: five working days after
Monday 10.00 is the next Monday 10.00 (later if a holiday falls in between). A moment on a
non-working day counts from the start of the next working day.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from holidays import HolidayBase

WITA = ZoneInfo("Asia/Makassar")
OFFICE_OPENS = time(8, 0)
# Holidays come from two categories: public (libur nasional) and government (cuti bersama).
HOLIDAY_CATEGORIES = ("public", "government")
HOLIDAY_LANGUAGE = "id"
# The module of the package's Indonesian holidays, as `holidays.country_holidays("ID")` names it.
_INDONESIA_MODULE = "holidays.countries.indonesia"


def _load_indonesia() -> type[HolidayBase]:
    """The package's class of Indonesia's holidays (`ID`), the one `country_holidays("ID")`
    builds.

    Imported by name, its package's `holidays/countries/__init__.py` would import all ~250
    countries first (~280 modules, ~8 MiB in each process that builds a calendar); its module
    imports nothing from that package, so it is run from its file on its own (unless some
    other code imported it already). tests/unit/test_mem_holidays.py holds the dates and
    names equal to `country_holidays`' and counts the modules imported."""
    loaded = sys.modules.get(_INDONESIA_MODULE)
    if loaded is None:
        path = Path(holidays.__file__).with_name("countries") / "indonesia.py"
        spec = importlib.util.spec_from_file_location(_INDONESIA_MODULE, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"no module at {path}")
        loaded = importlib.util.module_from_spec(spec)
        # Registered as an import would: `country_holidays("ID")` finds this one, not another.
        sys.modules[_INDONESIA_MODULE] = loaded
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[_INDONESIA_MODULE]
            raise
    return loaded.ID


_INDONESIA = _load_indonesia()


def indonesian_holidays(
    categories: Iterable[str] = HOLIDAY_CATEGORIES, years: int | None = None
) -> HolidayBase:
    """Indonesia's holidays of these categories, named in Indonesian: what
    `holidays.country_holidays("ID", categories=..., language="id", years=...)` returns."""
    return _INDONESIA(categories=tuple(categories), language=HOLIDAY_LANGUAGE, years=years)


class WorkingCalendar:
    def __init__(
        self, added_holidays: Iterable[date] = (), removed_holidays: Iterable[date] = ()
    ) -> None:
        """`added_holidays`: extra days off declared by an admin; `removed_holidays`: days the
        package lists as holidays that are working days after all."""
        self._national = indonesian_holidays()
        self._added = frozenset(added_holidays)
        self._removed = frozenset(removed_holidays)

    def holiday_name(self, day: date) -> str | None:
        if day in self._removed:
            return None
        if day in self._added:
            return "Libur (ditetapkan admin)"
        return self._national.get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self._added:
            return False
        if day in self._removed:
            return day.weekday() < 5
        return day.weekday() < 5 and day not in self._national

    def _step(self, day: date, direction: int) -> date:
        day += timedelta(days=direction)
        while not self.is_working_day(day):
            day += timedelta(days=direction)
        return day

    def start_of_work(self, moment: datetime) -> datetime:
        """`moment` if it falls on a working day, else 08.00 WITA of the next working day."""
        local = moment.astimezone(WITA)
        if self.is_working_day(local.date()):
            return moment
        day = self._step(local.date(), 1)
        return datetime.combine(day, OFFICE_OPENS, tzinfo=WITA)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """The same time of day `days` working days later (or earlier, if negative)."""
        local = self.start_of_work(moment).astimezone(WITA)
        day = local.date()
        direction = 1 if days >= 0 else -1
        for _ in range(abs(days)):
            day = self._step(day, direction)
        return datetime.combine(day, local.timetz()).astimezone(moment.tzinfo or WITA)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days from `start`'s day to `end`'s day in WITA: positive when `end` is
        later, negative when it is earlier, 0 on the same day."""
        first, last = start.astimezone(WITA).date(), end.astimezone(WITA).date()
        sign = 1 if last >= first else -1
        low, high = min(first, last), max(first, last)
        count = 0
        day = low
        while day < high:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return sign * count
