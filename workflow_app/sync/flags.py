"""What the provincial reviewer should look at in a district's plan, found without I/O.

Works on loaded plans (or any object with the same attributes): activities without funding,
targets that go the wrong way (below the baseline, or below the previous year's target), and
the same activity type planned twice at the same location.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

UNFUNDED = "unfunded"
BELOW_BASELINE = "below_baseline"
BELOW_PREVIOUS = "below_previous"
DUPLICATE = "duplicate"

# Indicators where a falling number is the goal (open defecation): for them the wrong way is up.
_LOWER_IS_BETTER = re.compile(r"\bbabs\b|buang air besar sembarangan|open defecation", re.I)


@dataclass(frozen=True)
class Flag:
    """One finding. `activity_ids` point at the rows concerned (for links to the plan page)."""

    kind: str
    activity_ids: tuple[int, ...] = ()
    titles: tuple[str, ...] = ()
    indicator: str = ""
    year: int | None = None
    value: Decimal | None = None
    reference: Decimal | None = None  # the baseline or the previous target it is compared to
    reference_year: int | None = None
    activity_type: str = ""
    location: str = ""


def normalise_location(location: str) -> str:
    """`  Kec.  Pelaihari ` and `kec. pelaihari` are the same place."""
    return " ".join(location.split()).casefold()


def lower_is_better(indicator_name: str) -> bool:
    return bool(_LOWER_IS_BETTER.search(indicator_name))


def unfunded_activities(activities: Iterable[Any]) -> list[Flag]:
    return [
        Flag(UNFUNDED, activity_ids=(a.id,), titles=(a.title,))
        for a in activities
        if sum(f.amount for f in a.funding) <= 0
    ]


def _worse(value: Decimal, reference: Decimal, lower_better: bool) -> bool:
    return value > reference if lower_better else value < reference


def trajectory_flags(indicators: Iterable[Any]) -> list[Flag]:
    """Targets below their own baseline, and targets below the previous year's target."""
    flags: list[Flag] = []
    for indicator in indicators:
        lower_better = lower_is_better(indicator.name)
        targets = sorted(indicator.targets, key=lambda t: t.year)
        baseline = indicator.baseline_value
        for target in targets:
            if baseline is not None and _worse(target.value, baseline, lower_better):
                flags.append(
                    Flag(
                        BELOW_BASELINE,
                        indicator=indicator.name,
                        year=target.year,
                        value=target.value,
                        reference=baseline,
                        reference_year=indicator.baseline_year,
                    )
                )
        for previous, target in pairwise(targets):
            if _worse(target.value, previous.value, lower_better):
                flags.append(
                    Flag(
                        BELOW_PREVIOUS,
                        indicator=indicator.name,
                        year=target.year,
                        value=target.value,
                        reference=previous.value,
                        reference_year=previous.year,
                    )
                )
    return flags


def duplicate_activities(activities: Iterable[Any]) -> list[Flag]:
    """The same activity type at the same (normalised) location, planned more than once."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for activity in activities:
        groups[(activity.activity_type, normalise_location(activity.location))].append(activity)
    return [
        Flag(
            DUPLICATE,
            activity_ids=tuple(a.id for a in group),
            titles=tuple(a.title for a in group),
            activity_type=activity_type,
            location=group[0].location.strip(),
        )
        for (activity_type, _location), group in groups.items()
        if len(group) > 1
    ]


def plan_flags(plan: Any) -> list[Flag]:
    """Every flag of a plan, in a stable order: funding, trajectories, duplicates."""
    return (
        unfunded_activities(plan.activities)
        + trajectory_flags(plan.indicators)
        + duplicate_activities(plan.activities)
    )
