"""The working-day calendar loads only Indonesia's holidays from the `holidays` package, not its
~250 countries (~280 modules, ~8 MiB per process: workflow_app/engine/calendar.py), and its
holidays are those `holidays.country_holidays("ID", ...)` gives, date for date and name for
name, in both categories, in Indonesian (what the app shows) and in English."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from workflow_app.engine.calendar import _INDONESIA, HOLIDAY_CATEGORIES, indonesian_holidays

YEARS = list(range(2020, 2036))
CATEGORY_SETS = [("public",), ("government",), HOLIDAY_CATEGORIES]

# `country_holidays` in a fresh process, imported the package's own way (all countries).
PACKAGE_SCRIPT = """
import json, sys
import holidays
found = {}
for language in ("id", "en_US"):
    for categories in json.loads(sys.argv[1]):
        days = holidays.country_holidays(
            "ID", categories=tuple(categories), language=language, years=json.loads(sys.argv[2])
        )
        found[f"{language} {','.join(categories)}"] = sorted(
            (day.isoformat(), name) for day, name in days.items()
        )
print(json.dumps({"countries": sum(m.startswith("holidays.countries.") for m in sys.modules),
                  "days": found}))
"""

# What a fresh process imports for the working calendar and the admin's calendar page.
CALENDAR_SCRIPT = """
import json, sys
from datetime import date
from workflow_app.engine.calendar import WorkingCalendar
from workflow_app.admin.calendar import _package
WorkingCalendar().holiday_name(date(2026, 3, 20))
_package(2026, "government")
print(json.dumps(sorted(m for m in sys.modules if m.startswith("holidays.countries"))))
"""


def run(script: str, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def package_days() -> dict[str, object]:
    found = run(PACKAGE_SCRIPT, json.dumps(CATEGORY_SETS), json.dumps(YEARS))
    assert isinstance(found, dict)
    # The reference really went through the package's own import of all countries.
    assert found["countries"] > 200
    return found["days"]


def listed(days: dict[date, str]) -> list[list[str]]:
    return [[day.isoformat(), name] for day, name in sorted(days.items())]


@pytest.mark.parametrize("categories", CATEGORY_SETS, ids=",".join)
def test_indonesian_holidays_are_the_packages(package_days, categories) -> None:
    days = indonesian_holidays(categories=categories, years=YEARS)
    assert len(days) > len(YEARS)
    assert listed(days) == package_days[f"id {','.join(categories)}"]


@pytest.mark.parametrize("categories", CATEGORY_SETS, ids=",".join)
def test_english_names_are_the_packages(package_days, categories) -> None:
    days = _INDONESIA(categories=categories, language="en_US", years=YEARS)
    assert listed(days) == package_days[f"en_US {','.join(categories)}"]


def test_the_calendar_imports_indonesia_alone() -> None:
    assert run(CALENDAR_SCRIPT) == ["holidays.countries.indonesia"]
