"""The working-day calendar of a year: the package's holidays and the admin's overrides, a
form to declare a day off or make a holiday a working day, and deleting an override. Every
change recomputes the deadlines it moves, in the same transaction (deadlines/operations.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..deadlines import operations
from ..deadlines.models import CalendarOverride
from ..engine import InvalidInput
from ..engine.calendar import WITA, indonesian_holidays
from ..extensions import db
from ..models_base import utcnow
from ..unit_of_work import unit_of_work
from .blueprint import blueprint
from .forms import HOLIDAY, ButtonForm, OverrideForm

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class CalendarDay:
    """One date of the year that is not a plain working weekday, or that an admin changed."""

    day: date
    names: list[str]
    public: bool = False  # libur nasional
    collective_leave: bool = False  # cuti bersama
    override: CalendarOverride | None = None

    @property
    def weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def is_day_off(self) -> bool:
        if self.override is not None:
            return self.override.is_holiday
        return True

    @property
    def can_become_working_day(self) -> bool:
        return self.override is None and not self.weekend and (self.public or self.collective_leave)


def _year() -> int:
    year = request.args.get("year", type=int)
    if year is None:
        return utcnow().astimezone(WITA).year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _package(year: int, category: str) -> dict[date, str]:
    found = indonesian_holidays(categories=(category,), years=year)
    return dict(found.items())


def calendar_days(year: int) -> list[CalendarDay]:
    days: dict[date, CalendarDay] = {}
    for category, attribute in (("public", "public"), ("government", "collective_leave")):
        for day, name in _package(year, category).items():
            entry = days.setdefault(day, CalendarDay(day=day, names=[]))
            entry.names.extend(part.strip() for part in name.split(";"))
            setattr(entry, attribute, True)
    overrides = db.session.scalars(
        select(CalendarOverride).where(
            CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)
        )
    )
    for override in overrides:
        entry = days.setdefault(override.day, CalendarDay(day=override.day, names=[]))
        entry.override = override
    return sorted(days.values(), key=lambda entry: entry.day)


def _page(year: int, form: OverrideForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin/calendar.html",
        year=year,
        days=calendar_days(year),
        form=form,
        button=ButtonForm(),
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )
    return page, status


@blueprint.get("/calendar")
def calendar() -> tuple[str, int]:
    return _page(_year(), OverrideForm(formdata=None))


def _moved_message(result: operations.Recomputed) -> str:
    return ngettext(
        "Deadlines recomputed: %(num)d plan moved.",
        "Deadlines recomputed: %(num)d plans moved.",
        result.plans,
    )


@blueprint.post("/calendar/overrides")
def add_override() -> Response | tuple[str, int]:
    form = OverrideForm()
    year = form.day.data.year if form.day.data else _year()
    if not form.validate():
        return _page(year, form, 400)
    change = operations.add_holiday if form.kind.data == HOLIDAY else operations.add_working_day
    try:
        with unit_of_work():
            result = change(current_user, form.day.data, form.note.data or "")
    except InvalidInput as exc:
        form.day.errors = [*form.day.errors, str(exc)]
        return _page(year, form, 400)
    flash(_("Calendar changed.") + " " + _moved_message(result), "success")
    return redirect(url_for("admin.calendar", year=year))


@blueprint.post("/calendar/overrides/<int:override_id>/delete")
def delete_override(override_id: int) -> Response:
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        abort(404)
    year = override.day.year
    with unit_of_work():
        result = operations.remove_override(current_user, override_id)
    flash(_("Override deleted.") + " " + _moved_message(result), "success")
    return redirect(url_for("admin.calendar", year=year))
