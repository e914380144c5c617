"""A small SVG line chart of one district's trajectory against the national target line.

Drawn on the server as a string (no JS, no external resources). Every text goes through
`xml.sax.saxutils` escaping; the page shows the same numbers in a table beside the chart.
"""

from __future__ import annotations

import math
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 340, 190
LEFT, RIGHT, TOP, BOTTOM = 36, 14, 14, 26


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def trajectory_svg(
    points: list[tuple[int, Decimal]],
    *,
    target: Decimal,
    target_year: int,
    title: str,
    target_label: str,
    value_text: dict[int, str] | None = None,
    has_baseline: bool = True,
) -> str:
    """`points` are (year, value) with the baseline first; `target` is drawn as a dashed line
    with a diamond at `target_year`; `value_text` gives the tooltip text of each point;
    `has_baseline`: whether the first point is the baseline."""
    years = [year for year, _value in points] + [target_year]
    first, last = min(years), max(years)
    span = max(last - first, 1)
    top_value = max([float(v) for _y, v in points] + [float(target)])
    y_max = max(10.0, math.ceil(top_value * 1.1 / 10) * 10)

    def x(year: int) -> float:
        return LEFT + (year - first) / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - value / y_max * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px" '
        'font-family="system-ui, sans-serif" '
        f"aria-label={quoteattr(title)}><title>{escape(title)}</title>"
    ]
    step = 10 if y_max <= 50 else 20
    for tick in range(0, int(y_max) + 1, step):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(y(tick))}" y2="{_num(y(tick))}" '
            f'stroke="#e3e7eb"/><text x="{LEFT - 4}" y="{_num(y(tick))}" font-size="10" '
            f'text-anchor="end" dominant-baseline="central" fill="#5b6875">{tick}</text>'
        )
    for year in range(first, last + 1):
        parts.append(
            f'<text x="{_num(x(year))}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
            f'fill="#5b6875">{year}</text>'
        )
    target_y = _num(y(float(target)))
    parts.append(
        f'<g class="national-target"><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{target_y}" '
        f'y2="{target_y}" stroke="#a35d00" stroke-width="1.5" stroke-dasharray="6 4"/>'
        f'<path d="M{_num(x(target_year))},{_num(y(float(target)) - 6)} l6,6 l-6,6 l-6,-6 z" '
        f'fill="#a35d00"/><text x="{LEFT + 4}" y="{_num(y(float(target)) - 6)}" font-size="10" '
        f'fill="#a35d00">{escape(target_label)}</text></g>'
    )
    if points:
        line = " ".join(f"{_num(x(year))},{_num(y(float(value)))}" for year, value in points)
        parts.append(
            f'<polyline class="district-line" points="{line}" fill="none" stroke="#0b5c7a" '
            f'stroke-width="2"/>'
        )
        for index, (year, value) in enumerate(points):
            # The baseline is a hollow circle, targets filled: shape, not colour, tells them apart.
            fill = "#ffffff" if index == 0 and has_baseline else "#0b5c7a"
            tip = (value_text or {}).get(year, f"{year}: {value}")
            parts.append(
                f'<circle cx="{_num(x(year))}" cy="{_num(y(float(value)))}" r="3.5" '
                f'fill="{fill}" stroke="#0b5c7a" stroke-width="1.5"><title>{escape(tip)}</title>'
                f"</circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
