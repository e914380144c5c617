"""A plan's realisation per year, computed from plain figures, and the charts drawn from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow_app.monitoring.chart import indicator_svg, nice_scale, progress_svg
from workflow_app.monitoring.quarters import Quarter
from workflow_app.monitoring.realisation import (
    IndicatorPoint,
    IndicatorTargets,
    LineFigures,
    ReportFigures,
    latest_per_year,
    percent,
    realisation,
    total_spent,
    weighted_progress,
)

D = Decimal


def test_physical_progress_is_weighted_by_the_budgets() -> None:
    lines = [
        LineFigures(budget=900_000_000, spent=None, physical_progress=D(50)),
        LineFigures(budget=100_000_000, spent=None, physical_progress=D(100)),
    ]

    assert weighted_progress(lines) == D("55.0")


def test_lines_without_progress_do_not_count_and_without_budgets_the_average_is_plain() -> None:
    assert weighted_progress([LineFigures(500, None, D(40)), LineFigures(500, None, None)]) == D(
        "40.0"
    )
    assert weighted_progress([LineFigures(0, None, D(20)), LineFigures(0, None, D(30))]) == D(
        "25.0"
    )
    assert weighted_progress([LineFigures(500, 10, None)]) is None


def test_money_spent_adds_up_what_is_reported_and_is_unknown_when_nothing_is() -> None:
    assert total_spent([LineFigures(0, 100, None), LineFigures(0, None, None)]) == 100
    assert total_spent([LineFigures(0, None, None)]) is None
    assert percent(540_000_000, 850_000_000) == D("63.5")
    assert percent(10, 0) is None


def test_each_year_is_judged_by_its_latest_report() -> None:
    q2 = ReportFigures(Quarter(2026, 2), [LineFigures(1000, 200, D(20))])
    q3 = ReportFigures(Quarter(2026, 3), [LineFigures(1000, 450, D(45))])
    q4_before = ReportFigures(Quarter(2025, 4), [LineFigures(1000, 900, D(90))])

    latest = latest_per_year([q3, q4_before, q2])

    assert latest == {2026: q3, 2025: q4_before}


def test_the_realisation_per_year_against_the_budget_and_the_targets() -> None:
    reports = [
        ReportFigures(
            Quarter(2026, 3),
            [LineFigures(850_000_000, 425_000_000, D(45)), LineFigures(150_000_000, None, None)],
            {7: D("7.5")},
        ),
        ReportFigures(Quarter(2026, 1), [LineFigures(850_000_000, 100, D(5))], {7: D(6)}),
    ]
    indicators = [IndicatorTargets(7, "% sanitasi aman", "%", {2025: D(6), 2026: D(9)})]

    result = realisation([2025, 2026], {2026: 1_000_000_000}, reports, indicators)

    first, second = result.years
    assert (first.year, first.reported_in, first.budget, first.spent) == (2025, None, 0, None)
    assert second.reported_in == Quarter(2026, 3)
    assert (second.budget, second.spent, second.spent_percent) == (
        1_000_000_000,
        425_000_000,
        D("42.5"),
    )
    assert second.physical_progress == D("45.0")
    assert result.indicators[0].points == [
        IndicatorPoint(2025, D(6), None),
        IndicatorPoint(2026, D(9), D("7.5")),  # TW III's value, not TW I's
    ]


@pytest.mark.parametrize(
    ("top", "expected"),
    [(100, (100, 20)), (63.5, (80, 20)), (120.4, (150, 50)), (9.9, (10, 2)), (0, (1, 0.2))],
)
def test_axes_end_on_a_round_number(top: float, expected: tuple[float, float]) -> None:
    assert nice_scale(top, at_least=1) == pytest.approx(expected)


def test_charts_escape_every_text_and_draw_one_mark_per_value() -> None:
    evil = '<script>alert("x")</script>'

    bars = progress_svg(
        [(2025, None, None), (2026, D("63.5"), D(45))],
        title=evil,
        financial_label=evil,
        physical_label="fisik",
        value_text={(2026, "financial"): evil},
    )
    lines = indicator_svg(
        [(2025, D(6), None), (2026, D(9), D("7.5"))],
        title=evil,
        target_label="Target",
        achieved_label=evil,
    )

    for svg in (bars, lines):
        assert "<script" not in svg and "&lt;script&gt;" in svg
    assert bars.count('class="bar-financial"') == 1 and bars.count('class="bar-physical"') == 1
    assert lines.count('class="target-point"') == 2 and lines.count('class="achieved-point"') == 1
