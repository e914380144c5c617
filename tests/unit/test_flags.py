"""Flags of the provincial sync: each fires on a crafted plan and stays quiet on a clean one."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as NS

from workflow_app.sync.flags import (
    BELOW_BASELINE,
    BELOW_PREVIOUS,
    DUPLICATE,
    UNFUNDED,
    normalise_location,
    plan_flags,
)


def activity(id: int, type_: str = "lltt", location: str = "Pelaihari", amounts=(100,)) -> NS:
    funding = [NS(year=2026, source="apbn", amount=a) for a in amounts]
    return NS(
        id=id, title=f"Kegiatan {id}", activity_type=type_, location=location, funding=funding
    )


def indicator(name: str, baseline: str | None, targets: dict[int, str]) -> NS:
    return NS(
        name=name,
        unit="%",
        baseline_year=2024 if baseline is not None else None,
        baseline_value=Decimal(baseline) if baseline is not None else None,
        targets=[NS(year=y, value=Decimal(v)) for y, v in targets.items()],
    )


SAFE = "% rumah tangga dengan akses sanitasi aman"


def clean_plan() -> NS:
    return NS(
        activities=[
            activity(1),
            activity(2, "spald_s", "Pelaihari"),
            activity(3, "lltt", "Takisung"),
        ],
        indicators=[
            indicator(SAFE, "6.0", {2026: "9", 2027: "12", 2028: "12", 2029: "18"}),
            indicator("% rumah tangga BABS", "12", {2026: "8", 2027: "4", 2028: "0"}),
        ],
    )


def kinds(plan: NS) -> list[str]:
    return [flag.kind for flag in plan_flags(plan)]


def test_a_clean_plan_has_no_flags() -> None:
    assert plan_flags(clean_plan()) == []


def test_activity_without_funding() -> None:
    plan = clean_plan()
    plan.activities.append(activity(7, "iplt", "Bati-Bati", amounts=()))
    plan.activities.append(activity(8, "stbm", "Jorong", amounts=(0,)))
    flags = plan_flags(plan)
    assert [(f.kind, f.activity_ids) for f in flags] == [(UNFUNDED, (7,)), (UNFUNDED, (8,))]


def test_target_below_its_own_baseline() -> None:
    plan = clean_plan()
    plan.indicators[0] = indicator(SAFE, "10", {2026: "8", 2027: "11", 2028: "12"})
    flags = plan_flags(plan)
    assert [(f.kind, f.year, f.value, f.reference) for f in flags] == [
        (BELOW_BASELINE, 2026, Decimal(8), Decimal(10))
    ]


def test_target_below_the_previous_years_target() -> None:
    plan = clean_plan()
    plan.indicators[0] = indicator(SAFE, "6", {2026: "9", 2027: "12", 2028: "10", 2029: "15"})
    flags = plan_flags(plan)
    assert [(f.kind, f.year, f.reference_year, f.reference) for f in flags] == [
        (BELOW_PREVIOUS, 2028, 2027, Decimal(12))
    ]


def test_open_defecation_going_up_is_the_wrong_way() -> None:
    plan = clean_plan()
    plan.indicators[1] = indicator("% rumah tangga BABS", "12", {2026: "14", 2027: "6", 2028: "7"})
    assert kinds(plan) == [BELOW_BASELINE, BELOW_PREVIOUS]


def test_indicator_without_baseline_is_judged_on_its_trajectory_only() -> None:
    plan = clean_plan()
    plan.indicators[0] = indicator(SAFE, None, {2026: "9", 2027: "8"})
    assert kinds(plan) == [BELOW_PREVIOUS]


def test_same_type_at_the_same_location_twice() -> None:
    plan = clean_plan()
    plan.activities.append(activity(9, "lltt", "  PELAIHARI "))
    flags = plan_flags(plan)
    assert [(f.kind, f.activity_ids, f.activity_type) for f in flags] == [
        (DUPLICATE, (1, 9), "lltt")
    ]


def test_location_normalisation() -> None:
    assert normalise_location("  Kec.  Pelaihari\t") == normalise_location("kec. pelaihari")
    assert normalise_location("Pelaihari") != normalise_location("Takisung")
