"""The dashboard's content, rendered once per change of the data it shows.

The content (the filter, the download links and the figures) depends on the viewer's scope
(their grants), the query string (the filter, as typed: its errors and the links show it), the
language, the day (overdue counts, the default year) and the data. A cheap query reads a stamp
of the data (the last change event and the calendar overrides); the rendered content is kept
under a key made of all of these, so any change shows at once, and an unchanged province is
neither aggregated nor rendered again: a view then costs the stamp and one cache read, no
query of the districts, no form. Entries also expire after DASHBOARD_CACHE_SECONDS.

Why the last change event is enough: every write of a case, in any kind (its creation and each
transition write a history row, an edit of its contents or of its parts writes the case row),
is recorded as a change_event row by the session hook of changes/recording.py, in the writing
transaction; cases are never deleted; the overdue figures come from the deadlines and the day
(in the key), not from flags the sweep sets, and the sweep moves cases by transitions. The one
write of a case without an event is a deadline moved by a change of the calendar (a plain
UPDATE, deadlines/operations.py), made in the transaction that writes or deletes the override:
the overrides' count and last id tell it. Its id is the primary key, so the stamp reads one
index entry, not the case tables (which the stamp used to scan on every view).

Each process also keeps the last few contents it read or rendered, by key: the provincial
content is ~250 KB, and reading it from Redis and unpickling it cost more CPU than the rest of
the view's cache work. The shared cache still decides whether an entry lives (a cheap
existence check per view), so its expiry and `cache.clear()` hold for the kept copies too.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User
from ..changes.models import ChangeEvent
from ..deadlines.models import CalendarOverride
from ..extensions import cache, db

T = TypeVar("T")

# "2": the entries hold (valid, content) since the page's head is cached with the figures.
KEY_PREFIX = "dashboard:2:"


# Built once: every view of the dashboard runs it (building it cost a fifth of running it).
_STAMP = select(
    select(func.max(ChangeEvent.id)).scalar_subquery(),
    select(func.count(CalendarOverride.id)).scalar_subquery(),
    select(func.max(CalendarOverride.id)).scalar_subquery(),
)


def data_stamp() -> tuple[object, ...]:
    """One query: what changes whenever anything the dashboard counts changes."""
    return tuple(db.session.execute(_STAMP).one())


def fragment_key(user: User, query: object, language: str, today: date) -> str:
    """`query`: what the content reads of the request (its arguments, as sent, and the
    script root its links start with)."""
    grants = sorted((g.role, g.region_code) for g in user.grants())
    parts = (grants, repr(query), language, today.isoformat(), data_stamp())
    return KEY_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


# Contents kept in this process, per app (its extensions) and key, oldest first: a few, the
# provincial one being large.
KEPT_IN_PROCESS = 8
_kept_lock = threading.Lock()


def _kept() -> dict[str, object]:
    return current_app.extensions.setdefault("dashboard_kept", {})


def _keep(kept: dict[str, object], name: str, value: object) -> None:
    with _kept_lock:
        kept.pop(name, None)
        kept[name] = value
        while len(kept) > KEPT_IN_PROCESS:
            del kept[next(iter(kept))]


def cached(key: Callable[[], str], render: Callable[[], T]) -> T:
    """`render()`, or what it returned for the same key before (when caching is on)."""
    seconds = int(current_app.config["DASHBOARD_CACHE_SECONDS"])
    if seconds <= 0:
        return render()
    name = key()
    kept = _kept()
    value = kept.get(name)
    if value is not None and cache.has(name):  # still alive in the shared cache
        return value  # type: ignore[return-value]
    value = cache.get(name)
    if value is None:
        value = render()
        cache.set(name, value, timeout=seconds)
    _keep(kept, name, value)
    return value
