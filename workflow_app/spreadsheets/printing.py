"""What the printable plan page adds to the plan: funding totals per source and year, and who
prepared, reviewed and approved the plan (read from its history) for the signature block."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from ..accounts.models import User
from ..plans.models import ActionPlan, PlanTransition
from ..plans.operations import CREATE_TRIGGER
from ..plans.vocabulary import FUNDING_SOURCES


@dataclass
class FundingTotals:
    """Whole Rupiah per (source, year) over all activities, sources in the vocabulary's order."""

    years: list[int]
    cells: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        used = {source for source, _year in self.cells}
        return [s for s in FUNDING_SOURCES if s in used] + sorted(used - set(FUNDING_SOURCES))

    def source_total(self, source: str) -> int:
        return sum(amount for (s, _year), amount in self.cells.items() if s == source)

    def year_total(self, year: int) -> int:
        return sum(amount for (_source, y), amount in self.cells.items() if y == year)

    @property
    def total(self) -> int:
        return sum(self.cells.values())


def funding_totals(plan: ActionPlan) -> FundingTotals:
    cells: dict[tuple[str, int], int] = defaultdict(int)
    for activity in plan.activities:
        for row in activity.funding:
            cells[(row.source, row.year)] += row.amount
    years = sorted({*plan.years, *(year for _source, year in cells)})
    return FundingTotals(years=years, cells=dict(cells))


@dataclass(frozen=True)
class Signature:
    """One box of the signature block; `who` is None where nobody has signed yet."""

    key: str  # prepared | reviewed | approved
    who: User | None = None
    acting_for: User | None = None
    when: datetime | None = None


def _last(rows: list[PlanTransition], trigger: str, after: int) -> tuple[int, PlanTransition]:
    found = [(i, row) for i, row in enumerate(rows) if i > after and row.trigger == trigger]
    return found[-1] if found else (len(rows), None)  # type: ignore[return-value]


def _signature(key: str, row: PlanTransition | None) -> Signature:
    if row is None:
        return Signature(key)
    return Signature(key, row.actor, row.acting_for, row.created_at)


def signatures(plan: ActionPlan) -> list[Signature]:
    """Prepared by: the last submission (or the creator); reviewed by: the district's forward
    after it; approved by: the province's approval after that. Steps of earlier rounds, before
    the plan was returned and submitted again, do not sign the current plan."""
    rows = list(plan.history)
    submitted_at, submitted = _last(rows, "submit", -1)
    if submitted is None:
        submitted_at, submitted = _last(rows, CREATE_TRIGGER, -1)
        submitted_at = len(rows)  # not submitted yet: nobody reviewed this version
    forwarded_at, forwarded = _last(rows, "forward", submitted_at)
    _approved_at, approved = _last(rows, "approve", forwarded_at)
    return [
        _signature("prepared", submitted),
        _signature("reviewed", forwarded),
        _signature("approved", approved),
    ]
