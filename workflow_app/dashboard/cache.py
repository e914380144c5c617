"""The dashboard's figures, rendered once per change of the data they show.

The figures depend on the viewer's scope (their grants), the filters, the language, the day
(overdue counts) and the data. A cheap query reads a stamp of the data (the last change to any
plan, report, declared case or history row and the calendar overrides); the rendered sections
are kept under a key made of all of these, so any change shows at once and an unchanged
province is not aggregated again. Entries also expire after DASHBOARD_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User
from ..cases.models import DeclaredCase
from ..deadlines.models import CalendarOverride
from ..extensions import cache, db
from ..history import CaseTransition
from ..monitoring.models import ProgressReport
from ..plans.models import ActionPlan

KEY_PREFIX = "dashboard:"


def data_stamp() -> tuple[object, ...]:
    """One query: what changes whenever anything the dashboard counts changes."""
    row = db.session.execute(
        select(
            select(func.count(ActionPlan.id)).scalar_subquery(),
            select(func.max(ActionPlan.updated_at)).scalar_subquery(),
            select(func.count(ProgressReport.id)).scalar_subquery(),
            select(func.max(ProgressReport.updated_at)).scalar_subquery(),
            select(func.max(DeclaredCase.updated_at)).scalar_subquery(),
            select(func.max(CaseTransition.id)).scalar_subquery(),
            select(func.count(CalendarOverride.id)).scalar_subquery(),
            select(func.max(CalendarOverride.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def fragment_key(user: User, filters: object, language: str, today: date) -> str:
    grants = sorted((g.role, g.region_code) for g in user.grants())
    parts = (grants, repr(filters), language, today.isoformat(), data_stamp())
    return KEY_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def cached(key: Callable[[], str], render: Callable[[], str]) -> str:
    """`render()`, or what it returned for the same key before (when caching is on)."""
    seconds = int(current_app.config["DASHBOARD_CACHE_SECONDS"])
    if seconds <= 0:
        return render()
    name = key()
    html = cache.get(name)
    if html is None:
        html = render()
        cache.set(name, html, timeout=seconds)
    return html
