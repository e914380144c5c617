"""Small SVG charts of a plan's realisation, drawn on the server as strings.

No script and no external resource; every text is escaped with `xml.sax.saxutils`, and the
page shows the same numbers in a table beside each chart. Shapes, not colour alone, tell the
series apart (filled against hatched bars, dashed target line with hollow diamonds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 360, 210
LEGEND_ROW = 13
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 40, 24  # two legend rows above the plot
INK, MUTED, GRID = "#1d2733", "#5b6875", "#e3e7eb"
FINANCIAL, PHYSICAL, TARGET = "#0b5c7a", "#1c7c3c", "#a35d00"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_scale(top: float, *, at_least: float = 0.0) -> tuple[float, float]:
    """(axis maximum, tick step) for values up to `top`: about five ticks of 1, 2 or 5 × 10ⁿ."""
    top = max(top, at_least, 1e-9)
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.ceil(top / step - 1e-9) * step, step


def _open(title: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px" '
        'font-family="system-ui, sans-serif" '
        f"aria-label={quoteattr(title)}><title>{escape(title)}</title>"
    )


def _y_axis(y_max: float, step: float, y: object, suffix: str = "") -> list[str]:
    parts = []
    tick = 0.0
    while tick <= y_max + 1e-9:
        at = _num(y(tick))  # type: ignore[operator]
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 4}" y="{at}" font-size="10" text-anchor="end" '
            f'dominant-baseline="central" fill="{MUTED}">{escape(_num(tick) + suffix)}</text>'
        )
        tick += step
    return parts


def _legend(items: Sequence[tuple[str, str]]) -> str:
    """`items`: (swatch SVG drawn at the origin, label), one per row above the plot, so a long
    translated label never runs into the next one."""
    return "".join(
        f'<g transform="translate({LEFT},{3 + LEGEND_ROW * row})">{swatch}<text x="16" y="5" '
        f'font-size="10" dominant-baseline="central" fill="{INK}">{escape(label)}</text></g>'
        for row, (swatch, label) in enumerate(items)
    )


def _hatch(pattern_id: str, colour: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{colour}" stroke-width="3"/></pattern></defs>'
    )


def progress_svg(
    rows: Sequence[tuple[int, Decimal | None, Decimal | None]],
    *,
    title: str,
    financial_label: str,
    physical_label: str,
    value_text: dict[tuple[int, str], str] | None = None,
) -> str:
    """Per year two bars: money spent as % of the year's budget (filled) and physical progress
    % (hatched). `rows`: (year, financial %, physical %); None draws no bar. `value_text` gives
    each bar's tooltip by (year, "financial" | "physical")."""
    values = [float(v) for _year, *pair in rows for v in pair if v is not None]
    y_max, step = nice_scale(max(values, default=0.0), at_least=100.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - value / y_max * plot_h

    pattern = "hatch-physical"
    parts = [_open(title, "realisation-chart"), _hatch(pattern, PHYSICAL)]
    parts += _y_axis(y_max, step, y, "%")
    parts.append(
        _legend(
            [
                (f'<rect width="12" height="10" fill="{FINANCIAL}"/>', financial_label),
                (
                    f'<rect width="12" height="10" fill="url(#{pattern})" stroke="{PHYSICAL}"/>',
                    physical_label,
                ),
            ]
        )
    )
    slot = plot_w / max(len(rows), 1)
    bar = min(28.0, slot / 3)
    for index, (year, financial, physical) in enumerate(rows):
        centre = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{_num(centre)}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
            f'fill="{MUTED}">{year}</text>'
        )
        for offset, kind, value, fill in (
            (-bar, "financial", financial, FINANCIAL),
            (0.0, "physical", physical, f"url(#{pattern})"),
        ):
            if value is None:
                continue
            top = y(float(value))
            tip = (value_text or {}).get((year, kind), f"{year}: {value}%")
            parts.append(
                f'<rect class="bar-{kind}" x="{_num(centre + offset)}" y="{_num(top)}" '
                f'width="{_num(bar)}" height="{_num(HEIGHT - BOTTOM - top)}" fill="{fill}" '
                f'stroke="{FINANCIAL if kind == "financial" else PHYSICAL}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def indicator_svg(
    points: Sequence[tuple[int, Decimal | None, Decimal | None]],
    *,
    title: str,
    target_label: str,
    achieved_label: str,
    value_text: dict[tuple[int, str], str] | None = None,
) -> str:
    """One indicator per year: the target (dashed line, hollow diamonds) and the achieved value
    (solid line, filled circles). `points`: (year, target, achieved); None leaves a gap."""
    values = [float(v) for _year, *pair in points for v in pair if v is not None]
    y_max, step = nice_scale(max(values, default=0.0) * 1.1, at_least=1.0)
    years = [year for year, _t, _a in points]
    first, span = min(years, default=0), max(max(years, default=0) - min(years, default=0), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    inset = 16.0 if len(years) > 1 else plot_w / 2

    def x(year: int) -> float:
        if len(years) == 1:
            return LEFT + inset
        return LEFT + inset + (year - first) / span * (plot_w - 2 * inset)

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - value / y_max * plot_h

    parts = [_open(title, "indicator-chart")]
    parts += _y_axis(y_max, step, y)
    parts.append(
        _legend(
            [
                (
                    f'<line x1="0" x2="12" y1="5" y2="5" stroke="{TARGET}" stroke-width="1.5" '
                    f'stroke-dasharray="4 2"/>',
                    target_label,
                ),
                (f'<circle cx="6" cy="5" r="3.5" fill="{FINANCIAL}"/>', achieved_label),
            ]
        )
    )
    for year in years:
        parts.append(
            f'<text x="{_num(x(year))}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
            f'fill="{MUTED}">{year}</text>'
        )
    for kind, index, colour, dash in (
        ("target", 1, TARGET, ' stroke-dasharray="6 4"'),
        ("achieved", 2, FINANCIAL, ""),
    ):
        series = [(p[0], p[index]) for p in points if p[index] is not None]
        if len(series) > 1:
            line = " ".join(f"{_num(x(yr))},{_num(y(float(v)))}" for yr, v in series)  # type: ignore[arg-type]
            parts.append(
                f'<polyline class="{kind}-line" points="{line}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5"{dash}/>'
            )
        for year, value in series:
            cx, cy = _num(x(year)), _num(y(float(value)))  # type: ignore[arg-type]
            tip = escape((value_text or {}).get((year, kind), f"{year}: {value}"))
            if kind == "target":
                parts.append(
                    f'<path class="target-point" d="M{cx},{_num(float(cy) - 5)} l5,5 l-5,5 '
                    f'l-5,-5 z" fill="#ffffff" stroke="{colour}" stroke-width="1.5">'
                    f"<title>{tip}</title></path>"
                )
            else:
                parts.append(
                    f'<circle class="achieved-point" cx="{cx}" cy="{cy}" r="3.5" '
                    f'fill="{colour}"><title>{tip}</title></circle>'
                )
    parts.append("</svg>")
    return "".join(parts)
