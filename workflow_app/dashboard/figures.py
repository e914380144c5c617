"""The dashboard's charts, drawn from a `Dashboard` with labels in the page language.

Each function returns Markup: safe because the chart functions escape every text they write
(district names, indicator names typed by districts, labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import Markup

from ..engine import StateDef, WorkflowDefinition
from ..monitoring.quarters import ROMAN
from ..plans.vocabulary import FUNDING_SOURCES
from ..templating import number, rupiah
from ..workflows import PLAN_WORKFLOW, definitions_of
from .charts import Line, Reference, Series, line_chart_svg, stacked_bars_svg
from .queries import NATIONAL_TARGET, NATIONAL_TARGET_YEAR, Dashboard, Trajectory

PALETTE = ("#0b5c7a", "#d9822b", "#3a9a4a", "#7b3f9e", "#b03a2e", "#5b8def", "#a38b00", "#55606b")
PHYSICAL, FINANCIAL = "#0b5c7a", "#7b3f9e"
TARGETS, ACHIEVED = "#0b5c7a", "#1d6b2c"

# A state's colour follows what its definition says it is, never its name: the first rule that
# matches picks it; a colour already taken, or a state no rule matches, takes the palette's
# next free colour by the state's position.
CANCELLED, FINAL, MONITORED, PUBLISHED = "#b03a2e", "#55606b", "#1d6b2c", "#3a9a4a"
SYNC, REVIEW, INITIAL, REWORK = "#0b5c7a", "#5b8def", "#9aa5b1", "#d9822b"


def _state_colour(definition: WorkflowDefinition, state: StateDef) -> str | None:
    if state.has("cancelled"):
        return CANCELLED
    if state.final:
        return FINAL
    if state.has("monitoring"):
        return MONITORED
    if state.published:
        return PUBLISHED
    if state.has("sync"):
        return SYNC
    if state.has("review"):
        return REVIEW
    if state.name == definition.initial:
        return INITIAL
    if state.editable:  # back with its drafter after the start
        return REWORK
    return None


def state_colours(names: Sequence[str]) -> dict[str, str]:
    """State name -> colour for the plan states `names` (in chart order), read from the latest
    plan definition declaring each state."""
    definitions = sorted(definitions_of(PLAN_WORKFLOW), key=lambda d: -d.version)
    colours: dict[str, str] = {}
    for name in names:
        definition = next((d for d in definitions if name in d.states), None)
        colour = _state_colour(definition, definition.states[name]) if definition else None
        if colour is not None and colour not in colours.values():
            colours[name] = colour
    for position, name in enumerate(names):
        if name not in colours:
            free = [c for c in PALETTE if c not in colours.values()] or list(PALETTE)
            colours[name] = free[position % len(free)]
    return colours


def _chart(svg: str) -> Markup:
    """The one place a chart becomes Markup. Safe for user text: charts.py writes every text
    through `escape` and every attribute through `quoteattr` (district and indicator names
    typed by districts included; tests/security/test_escaping.py puts markup in them), and
    colours come from the constants above, never from input."""
    return Markup(svg)


def _percent(value: object) -> str:
    return f"{number(value)}%"  # type: ignore[arg-type]


def plans_by_state_chart(data: Dashboard, states: Sequence[tuple[str, str]]) -> Markup:
    colours = state_colours([name for name, _label in states])
    series = [Series(name, label, colours[name]) for name, label in states]
    rows = [(region.code, region.name) for region in data.districts]
    svg = stacked_bars_svg(
        rows, series, data.plans_by_state, title=_("Plans by status per district")
    )
    return _chart(svg)


def overdue_chart(data: Dashboard) -> Markup:
    series = [
        Series("plans", _("Plans overdue"), "#b03a2e"),
        Series("reports", _("Reports overdue"), "#d9822b"),
    ]
    values = {}
    for code, late in data.overdue.items():
        values[(code, "plans")] = late.plans
        values[(code, "reports")] = late.reports
    rows = [(region.code, region.name) for region in data.districts]
    svg = stacked_bars_svg(rows, series, values, title=_("Overdue plans and reports per district"))
    return _chart(svg)


def realisation_chart(data: Dashboard, code: str, name: str) -> Markup:
    items = data.realisation.get(code, [])
    physical = [(i.quarter, i.physical) for i in items if i.physical is not None]
    financial = [(i.quarter, i.financial) for i in items if i.financial is not None]
    top = max([100.0, *(float(v) for _q, v in physical + financial)])
    svg = line_chart_svg(
        [1, 2, 3, 4],
        [
            Line("physical", _("Physical"), PHYSICAL, physical),
            Line("financial", _("Financial"), FINANCIAL, financial, dashed=True),
        ],
        title=_(
            "%(region)s: physical and financial realisation per quarter of %(year)s",
            region=name,
            year=data.filters.year,
        ),
        x_label=lambda q: f"TW {ROMAN[q]}",
        y_max=float(top if top <= 100 else (int(top) // 20 + 1) * 20),
        value_text=_percent,
    )
    return _chart(svg)


def trajectory_chart(trajectory: Trajectory, name: str) -> Markup:
    achieved: list[tuple[int, Decimal]] = [
        (year, value) for year, (value, _q) in sorted(trajectory.achieved.items())
    ]
    svg = line_chart_svg(
        trajectory.years,
        [
            Line(
                "targets",
                _("Baseline and targets"),
                TARGETS,
                trajectory.target_points,
                hollow_first=bool(trajectory.baseline),
            ),
            Line("achieved", _("Achieved"), ACHIEVED, achieved, dashed=True),
        ],
        title=_(
            "%(region)s: %(indicator)s, targets and achievements",
            region=name,
            indicator=trajectory.name,
        ),
        reference=Reference(
            NATIONAL_TARGET,
            NATIONAL_TARGET_YEAR,
            _("National target %(value)s%% by %(year)s", value=30, year=2029),
        ),
        value_text=number,  # type: ignore[arg-type]
    )
    return _chart(svg)


def funding_chart(data: Dashboard) -> Markup:
    series = [
        Series(source, str(FUNDING_SOURCES.get(source, source)), PALETTE[i % len(PALETTE)])
        for i, source in enumerate(data.funding_sources)
    ]
    rows = [(str(year), str(year)) for year in data.funding_years]
    values = {(str(year), source): amount for (source, year), amount in data.funding.items()}
    svg = stacked_bars_svg(
        rows,
        series,
        values,
        title=_("Funding by source and year"),
        value_text=rupiah,  # type: ignore[arg-type]
    )
    return _chart(svg)
