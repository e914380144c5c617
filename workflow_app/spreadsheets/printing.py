"""What the printable plan page adds to the plan: funding totals per source and year, and who
prepared, reviewed and approved the plan (read from its history) for the signature block.

Which step signs which box is the definition's word: a transition's `signature` attribute
(prepared | reviewed | approved), looked up in the version each history row was written under.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from ..accounts.models import User
from ..history import CaseTransition
from ..plans.models import ActionPlan
from ..plans.operations import CREATE_TRIGGER
from ..plans.vocabulary import FUNDING_SOURCES
from ..workflows import definition_of, registry, role_label


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
    """One box of the signature block; `who` is None where nobody has signed yet. `role` is
    the label of the role that signed, or of the roles that may sign when nobody has."""

    key: str  # prepared | reviewed | approved
    who: User | None = None
    acting_for: User | None = None
    when: datetime | None = None
    role: str = ""


def _signature_of(plan: ActionPlan, row: CaseTransition) -> str | None:
    """The `signature` of the transition a history row records (None: it signs nothing)."""
    if row.from_state is None:
        return None
    definition = registry().find(plan.workflow_name, row.workflow_version)
    if definition is None:
        return None
    transition = definition.transition_for(row.trigger, row.from_state)
    return transition.signature if transition is not None else None


def _last(
    rows: list[tuple[CaseTransition, str | None]], box: str, after: int
) -> tuple[int, CaseTransition | None]:
    found = [(i, row) for i, (row, signs) in enumerate(rows) if i > after and signs == box]
    return found[-1] if found else (len(rows), None)


def _signers(plan: ActionPlan, box: str) -> list[str]:
    """The workflow roles that may sign `box` under the plan's definition (the system aside)."""
    declared = definition_of(plan)
    return list(
        dict.fromkeys(
            role
            for transition in declared.transitions_where(signature=box)
            for role in sorted(transition.roles)
            if role in declared.roles
        )
    )


def _signature(plan: ActionPlan, key: str, row: CaseTransition | None) -> Signature:
    if row is None:
        return Signature(key, role=" / ".join(role_label(r) for r in _signers(plan, key)))
    return Signature(key, row.actor, row.acting_for, row.created_at, role_label(row.role))


def signatures(plan: ActionPlan) -> list[Signature]:
    """Prepared by: the last step signing `prepared` (the submission; else the creator);
    reviewed by: the last step signing `reviewed` after it; approved by: the last signing
    `approved` after that. Steps of earlier rounds, before the plan was returned and
    submitted again, do not sign the current plan."""
    rows = [(row, _signature_of(plan, row)) for row in plan.history]
    prepared_at, prepared = _last(rows, "prepared", -1)
    if prepared is None:
        created = [row for row, _signs in rows if row.trigger == CREATE_TRIGGER]
        prepared = created[-1] if created else None
        prepared_at = len(rows)  # not submitted yet: nobody reviewed this version
    reviewed_at, reviewed = _last(rows, "reviewed", prepared_at)
    _approved_at, approved = _last(rows, "approved", reviewed_at)
    return [
        _signature(plan, "prepared", prepared),
        _signature(plan, "reviewed", reviewed),
        _signature(plan, "approved", approved),
    ]
