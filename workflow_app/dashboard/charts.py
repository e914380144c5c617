"""Server-drawn SVG charts for the dashboard: stacked horizontal bars and lines over a few
points with an optional reference line (the national target). No JavaScript, no external
resources; every text is escaped. Each mark carries `data-row`, `data-series` and `data-value`
so the numbers can be checked against the table the page shows beside the chart.

The sync workspace's `trajectory_svg` draws one series; the dashboard needs two per chart
(targets and achievements, physical and financial), hence this module in the same style.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

Number = int | float | Decimal
TEXT = "#5b6875"
GRID = "#e3e7eb"
FONT = 'font-family="system-ui, sans-serif"'


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open_svg(width: int, height: int, title: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class={quoteattr(css_class)} role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" {FONT} '
        f"aria-label={quoteattr(title)}><title>{escape(title)}</title>"
    )


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatches and labels, wrapped to `width`; returns the parts and the height used."""
    parts, cx, cy = [], x, y
    for item in series:
        text_width = 7 * len(item.label) + 22
        if cx + text_width > x + width and cx > x:
            cx, cy = x, cy + 16
        parts.append(
            f'<g class="legend-item" data-series={quoteattr(item.key)}>'
            f'<rect x="{_num(cx)}" y="{_num(cy)}" width="10" height="10" fill="{item.colour}"/>'
            f'<text x="{_num(cx + 14)}" y="{_num(cy + 9)}" font-size="11" fill="{TEXT}">'
            f"{escape(item.label)}</text></g>"
        )
        cx += text_width
    return parts, cy - y + 18


def stacked_bars_svg(
    rows: Sequence[tuple[str, str]],
    series: Sequence[Series],
    values: Mapping[tuple[str, str], Number],
    *,
    title: str,
    value_text: Callable[[Number], str] = str,
    css_class: str = "dashboard-chart bar-chart",
) -> str:
    """One horizontal bar per row (`(key, label)`), stacked by series, the total at its end.
    `values` maps (row key, series key) to a non-negative number; zeros draw nothing."""
    width, label_width, bar_height, gap = 520, 150, 14, 8
    totals = {key: sum(values.get((key, s.key), 0) for s in series) for key, _l in rows}
    # Room at the end of the bars for the longest total (Rupiah totals are long).
    total_width = max(40, 7 * max((len(value_text(t)) for t in totals.values()), default=1) + 10)
    plot_width = width - label_width - total_width
    legend, legend_height = _legend(series, 4, 4, width - 8)
    top = 4 + legend_height
    height = int(top + len(rows) * (bar_height + gap) + 4)
    scale = plot_width / max([*(float(t) for t in totals.values()), 1.0])
    parts = [_open_svg(width, height, title, css_class), *legend]
    for index, (key, label) in enumerate(rows):
        y = top + index * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 6}" y="{_num(y + bar_height / 2)}" font-size="11" '
            f'text-anchor="end" dominant-baseline="central" fill="{TEXT}">{escape(label)}</text>'
        )
        x = float(label_width)
        for item in series:
            value = values.get((key, item.key), 0)
            if not value:
                continue
            length = float(value) * scale
            tip = f"{label} · {item.label}: {value_text(value)}"
            parts.append(
                f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(max(length, 1))}" '
                f'height="{bar_height}" fill="{item.colour}" data-row={quoteattr(key)} '
                f"data-series={quoteattr(item.key)} data-value={quoteattr(str(value))}>"
                f"<title>{escape(tip)}</title></rect>"
            )
            x += length
        parts.append(
            f'<text x="{_num(x + 4)}" y="{_num(y + bar_height / 2)}" font-size="11" '
            f'dominant-baseline="central" fill="{TEXT}" class="bar-total">'
            f"{escape(value_text(totals[key]) if totals[key] else '0')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Line:
    """A series of (x, value) points; `hollow_first`: the first point is a baseline (drawn
    hollow and marked with the series key `baseline`)."""

    key: str
    label: str
    colour: str
    points: Sequence[tuple[int, Number]]
    dashed: bool = False
    hollow_first: bool = False


@dataclass(frozen=True)
class Reference:
    """A horizontal dashed line (the national target) with a diamond at `x`."""

    value: Number
    x: int
    label: str
    colour: str = "#a35d00"


def line_chart_svg(
    xs: Sequence[int],
    lines: Sequence[Line],
    *,
    title: str,
    x_label: Callable[[int], str] = str,
    reference: Reference | None = None,
    y_max: float | None = None,
    value_text: Callable[[Number], str] = str,
    css_class: str = "dashboard-chart line-chart",
) -> str:
    """Lines over the x positions `xs` (years, or quarters 1–4), the y axis from 0."""
    width, height = 360, 210
    left, right, bottom = 36, 14, 24
    legend_series = [Series(line.key, line.label, line.colour) for line in lines]
    if reference is not None:
        legend_series.append(Series("reference", reference.label, reference.colour))
    legend, legend_height = _legend(legend_series, 4, 4, width - 8)
    top = 8 + legend_height
    all_xs = sorted(set(xs) | {x for line in lines for x, _v in line.points})
    if reference is not None:
        all_xs = sorted(set(all_xs) | {reference.x})
    first, last = (all_xs[0], all_xs[-1]) if all_xs else (0, 1)
    span = max(last - first, 1)
    peak = max(
        [float(v) for line in lines for _x, v in line.points]
        + ([float(reference.value)] if reference else [])
        + [0.0]
    )
    top_value = y_max or max(10.0, math.ceil(peak * 1.1 / 10) * 10)

    def x_of(x: int) -> float:
        return left + (x - first) / span * (width - left - right)

    def y_of(value: float) -> float:
        return height - bottom - value / top_value * (height - top - bottom)

    parts = [_open_svg(width, height, title, css_class), *legend]
    step = 10 if top_value <= 50 else 20 if top_value <= 100 else max(1, int(top_value // 5))
    for tick in range(0, int(top_value) + 1, step):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y_of(tick))}" '
            f'y2="{_num(y_of(tick))}" stroke="{GRID}"/><text x="{left - 4}" '
            f'y="{_num(y_of(tick))}" font-size="10" text-anchor="end" '
            f'dominant-baseline="central" fill="{TEXT}">{tick}</text>'
        )
    for x in range(first, last + 1) if all_xs else ():
        parts.append(
            f'<text x="{_num(x_of(x))}" y="{height - 8}" font-size="10" text-anchor="middle" '
            f'fill="{TEXT}">{escape(x_label(x))}</text>'
        )
    if reference is not None:
        ry = y_of(float(reference.value))
        parts.append(
            f'<g class="reference-line"><line x1="{left}" x2="{width - right}" y1="{_num(ry)}" '
            f'y2="{_num(ry)}" stroke="{reference.colour}" stroke-width="1.5" '
            f'stroke-dasharray="6 4"/><path d="M{_num(x_of(reference.x))},{_num(ry - 6)} '
            f'l6,6 l-6,6 l-6,-6 z" fill="{reference.colour}"><title>'
            f"{escape(reference.label)}</title></path></g>"
        )
    for line in lines:
        if not line.points:
            continue
        coords = " ".join(f"{_num(x_of(x))},{_num(y_of(float(v)))}" for x, v in line.points)
        dash = ' stroke-dasharray="4 3"' if line.dashed else ""
        parts.append(
            f'<polyline class="series-line" data-series={quoteattr(line.key)} '
            f'points="{coords}" fill="none" stroke="{line.colour}" stroke-width="2"{dash}/>'
        )
        for index, (x, value) in enumerate(line.points):
            hollow = index == 0 and line.hollow_first
            fill = "#ffffff" if hollow else line.colour
            key = "baseline" if hollow else line.key
            tip = f"{line.label}, {x_label(x)}: {value_text(value)}"
            parts.append(
                f'<circle class="point" cx="{_num(x_of(x))}" cy="{_num(y_of(float(value)))}" '
                f'r="3.5" fill="{fill}" stroke="{line.colour}" stroke-width="1.5" '
                f'data-row="{x}" data-series={quoteattr(key)} '
                f"data-value={quoteattr(str(value))}><title>{escape(tip)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
