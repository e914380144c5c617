"""Every kind declared as data on the dashboard: its cases counted by state and by region,
and those overdue.

Only the cases the viewer may see count, by the kind's own rule (policy.visible: a partner
sees the cases in a published state only), narrowed by the dashboard's district filter.
Overdue: a deadline on an earlier day than today (WITA), in a state that is not final, as
for plans. Two queries per kind (a third only when the overdue list is cut short, and one
for the regions of a kind whose cases are the province's), whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..accounts.models import User
from ..cases.kinds import declared_kinds
from ..cases.models import DeclaredCase
from ..deadlines.calendar_store import current_calendar
from ..deadlines.display import DueStatus, due_status
from ..engine import Label
from ..extensions import db
from ..regions.models import Region
from ..subjects import CaseKind
from ..workflows import definitions_of, registry
from .queries import Filters, start_of_today

#: The overdue cases listed per kind, the longest overdue first; the rest are counted.
OVERDUE_LISTED = 50


@dataclass
class OverdueCase:
    case: DeclaredCase
    due: DueStatus


@dataclass
class KindFigures:
    """One declared kind's section: counts by (region code, state), rows, state columns."""

    name: str
    label: Label
    states: list[tuple[str, str]]  # (name, label) in the latest definition's order
    regions: list[Region]
    counts: dict[tuple[str, str], int]
    overdue: list[OverdueCase] = field(default_factory=list)
    overdue_total: int = 0

    def count(self, code: str, state: str | None = None) -> int:
        return sum(n for (c, s), n in self.counts.items() if c == code and state in (None, s))

    def state_total(self, state: str) -> int:
        return sum(n for (_c, s), n in self.counts.items() if s == state)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def open_states(kind: CaseKind) -> set[str]:
    """The states of every version of the kind's workflow that are not final."""
    return {
        name
        for definition in definitions_of(kind.workflow)
        for name, state in definition.states.items()
        if not state.final
    }


def state_columns(kind: CaseKind, present: set[str], language: str) -> list[tuple[str, str]]:
    """The latest version's states in their declared order, then any state only an older
    version declares that some case is still in."""
    columns = {
        name: state.label.get(language)
        for name, state in registry().latest(kind.workflow).states.items()
    }
    for definition in sorted(definitions_of(kind.workflow), key=lambda d: -d.version):
        for name in sorted(present - set(columns)):
            if name in definition.states:
                columns[name] = definition.states[name].label.get(language)
    for name in sorted(present - set(columns)):
        columns[name] = name
    return list(columns.items())


def counts(user: User, kind: CaseKind, filters: Filters) -> dict[tuple[str, str], int]:
    """(region code, state) -> number of the kind's cases `user` may see."""
    visible = policy.visible(user, kind.name).with_only_columns(DeclaredCase.id)
    query = (
        select(Region.code, DeclaredCase.state, func.count(DeclaredCase.id))
        .join_from(DeclaredCase, Region, DeclaredCase.region_id == Region.id)
        .where(DeclaredCase.id.in_(visible))
        .group_by(Region.code, DeclaredCase.state)
    )
    if filters.region_code:
        query = query.where(Region.code == filters.region_code)
    return {(code, state): n for code, state, n in db.session.execute(query)}


def overdue(
    user: User, kind: CaseKind, filters: Filters, now: datetime
) -> tuple[list[OverdueCase], int]:
    """The kind's visible cases overdue, the longest overdue first (at most OVERDUE_LISTED),
    and how many there are in all."""
    query = policy.visible(user, kind.name).where(
        DeclaredCase.state.in_(open_states(kind)),
        DeclaredCase.due_at < start_of_today(now),
    )
    if filters.region_code:
        query = query.where(DeclaredCase.region.has(Region.code == filters.region_code))
    listed = query.options(joinedload(DeclaredCase.region)).order_by(
        DeclaredCase.due_at, DeclaredCase.id
    )
    cases = list(db.session.scalars(listed.limit(OVERDUE_LISTED)).unique())
    if not cases:
        return [], 0
    total = len(cases)
    if total == OVERDUE_LISTED:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or total
    calendar = current_calendar()
    return [OverdueCase(case, due_status(case.due_at, now, calendar)) for case in cases], total


def _rows(
    kind: CaseKind, found: dict[tuple[str, str], int], districts: Sequence[Region]
) -> list[Region]:
    """The regions shown as rows: the dashboard's districts for a kind of district cases
    (every one, zeros included, as for plans); the regions holding cases otherwise."""
    spec = registry().latest(kind.workflow).case
    if spec is not None and spec.scope == "district":
        return list(districts)
    codes = sorted({code for code, _state in found})
    if not codes:
        return []
    return list(db.session.scalars(select(Region).where(Region.code.in_(codes))))


def declared_figures(
    user: User, filters: Filters, now: datetime, districts: Sequence[Region], language: str
) -> list[KindFigures]:
    """A section per declared kind, in the order the kinds were registered; `districts`: the
    dashboard's rows (the districts the user may see, narrowed by its filter)."""
    sections = []
    for kind in declared_kinds():
        found = counts(user, kind, filters)
        late, late_total = overdue(user, kind, filters, now)
        sections.append(
            KindFigures(
                name=kind.name,
                label=registry().latest(kind.workflow).label,
                states=state_columns(kind, {state for _code, state in found}, language),
                regions=sorted(_rows(kind, found, districts), key=lambda r: r.code),
                counts=found,
                overdue=late,
                overdue_total=late_total,
            )
        )
    return sections
