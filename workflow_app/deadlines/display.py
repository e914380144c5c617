"""A plan's deadline as its readers see it: the due time (shown in WITA) and how many working
days are left, or how many are overdue.

Pages call `due_statuses(plans)` once per request: it reads the calendar (the package holidays
plus the admin's overrides, one query) once for the whole list, never once per plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal, Protocol

from flask_babel import get_locale, gettext, ngettext

from ..engine.calendar import WITA, WorkingCalendar
from ..models_base import utcnow
from .calendar_store import current_calendar


class HasDeadline(Protocol):
    id: int
    due_at: datetime | None


Status = Literal["ahead", "today", "overdue"]


@dataclass(frozen=True)
class DueStatus:
    """`status`: due on a later day (`ahead`), on today's date in WITA (`today`), or on an
    earlier day (`overdue`); `working_days`: how many are left (ahead) or overdue, else 0."""

    due_at: datetime  # as stored (UTC); the `wita_datetime` filter shows it in WITA
    status: Status
    working_days: int
    # `text` by language: `due_statuses` gives every deadline of a day copies of one status,
    # which share this, so a list translates each distinct count once, not once per row.
    texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def due_at_wita(self) -> datetime:
        return self.due_at.astimezone(WITA)

    @property
    def signed_days(self) -> int:
        """Working days left (positive) or overdue (negative); 0 when due today."""
        return -self.working_days if self.status == "overdue" else self.working_days

    @property
    def text(self) -> str:
        """`3 working days left`, `today`, `overdue by 2 working days`, in the page language."""
        return self.text_in(str(get_locale()))

    def text_in(self, language: str) -> str:
        """`text` in `language` (a list passes the page's language, read once)."""
        text = self.texts.get(language)
        if text is None:
            text = self.texts[language] = self._translated()
        return text

    def _translated(self) -> str:
        if self.status == "today":
            return gettext("today")
        if self.status == "ahead":
            return ngettext(
                "%(num)d working day left", "%(num)d working days left", self.working_days
            )
        return ngettext(
            "overdue by %(num)d working day", "overdue by %(num)d working days", self.working_days
        )


def due_status(due_at: datetime, now: datetime, calendar: WorkingCalendar) -> DueStatus:
    """Compare by WITA dates: a plan due at 10.00 today is due `today` all day long.

    Days overdue count the working days from the due day to today, at least one: on the
    Saturday after a Friday deadline the plan is already late, as it is on the Monday.
    """
    due_day, today = due_at.astimezone(WITA).date(), now.astimezone(WITA).date()
    if due_day == today:
        return DueStatus(due_at, "today", 0)
    if due_day > today:
        return DueStatus(due_at, "ahead", max(1, calendar.working_days_between(now, due_at)))
    return DueStatus(due_at, "overdue", max(1, calendar.working_days_between(due_at, now)))


# A day's status and count of working days, kept across requests: both depend only on the due
# day, today's date and the calendar (`calendar_store` keeps one per set of overrides, pinned
# here by identity), and counting walks every day between (long for old deadlines).
_COUNTS: dict[tuple[int, date, date], tuple[WorkingCalendar, Status, int]] = {}
_COUNTS_KEPT = 4096


def _counted(due_at: datetime, day: date, now: datetime, calendar: WorkingCalendar) -> DueStatus:
    """`due_status(due_at, now, calendar)`, its count found once per (calendar, today, day)."""
    key = (id(calendar), now.astimezone(WITA).date(), day)
    found = _COUNTS.get(key)
    if found is not None and found[0] is calendar:
        return DueStatus(due_at, found[1], found[2])
    status = due_status(due_at, now, calendar)
    if len(_COUNTS) >= _COUNTS_KEPT:
        _COUNTS.clear()
    _COUNTS[key] = (calendar, status.status, status.working_days)
    return status


def due_statuses(
    plans: Iterable[HasDeadline],
    now: datetime | None = None,
    calendar: Callable[[], WorkingCalendar] = current_calendar,
) -> dict[int, DueStatus]:
    """The deadline of each plan that has one, by plan id; the calendar is read once (and not
    at all when no plan has a deadline). A page with several lists passes the same memoized
    `calendar` to each call, so that the calendar is read once per page."""
    dated = [plan for plan in plans if plan.due_at is not None]
    if not dated:
        return {}
    working = calendar()
    now = now or utcnow()
    # Many items fall due on the same day; count each day's working days once (the count
    # walks the days between, so a long list of old deadlines would repeat long walks).
    days: dict[date, DueStatus] = {}
    # The statuses of one count (of days of all) share their translated texts.
    texts: dict[tuple[str, int], dict[str, str]] = {}
    # Items due at the same instant (a quarter's reports) share one status: it is frozen.
    instants: dict[datetime, DueStatus] = {}
    statuses = {}
    for plan in dated:
        due_at = plan.due_at
        status = instants.get(due_at)
        if status is None:
            day = due_at.astimezone(WITA).date()
            found = days.get(day)
            if found is None:
                counted = _counted(due_at, day, now, working)
                shared = texts.setdefault((counted.status, counted.working_days), counted.texts)
                found = days[day] = replace(counted, texts=shared)
            # The constructor, not `replace` (which inspects the fields on every call).
            status = instants[due_at] = DueStatus(
                due_at, found.status, found.working_days, found.texts
            )
        statuses[plan.id] = status
    return statuses
