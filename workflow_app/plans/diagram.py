"""The workflow diagram: a definition drawn as an SVG string, on the server (no JS, no CDN).

States are boxes laid out in layers by their BFS depth from the initial state, left to right;
transitions are arrows labelled with their trigger label. Arrows that go back (return,
resubmit, withdraw from a later state) or stay in a column bend as curves, so a pair of
opposite arrows between two states never lie on top of each other.

Everything that depends only on (definition, language) is drawn once and cached; a request only
picks, for each state, the plain or the "current" rendering of its box. Every text node and
attribute value goes through `xml.sax.saxutils` escaping: labels come from the YAML, but the
output must stay valid XML whatever they contain.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..engine import WorkflowDefinition

BOX_W, BOX_H = 150, 54
COL_PITCH, ROW_PITCH = 235, 120
MARGIN_X, MARGIN_Y = 20, 40
BEND = 52  # how far a curved arrow bulges away from the straight line
LABEL_WRAP = 14  # characters per line before an edge label wraps
STATE_WRAP = 16  # a bold line of 18 runs past the box
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
MARKER = "●"


@dataclass(frozen=True)
class Box:
    name: str
    x: float
    y: float

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


@dataclass(frozen=True)
class Drawing:
    """The parts of a diagram that do not depend on the current state."""

    width: int
    height: int
    edges: str
    plain: dict[str, str]  # state name -> its box, not current
    current: dict[str, str]  # state name -> its box, marked as the current state
    order: tuple[str, ...]


def layers(definition: WorkflowDefinition) -> dict[str, int]:
    """BFS depth of each state from the initial one, following transitions in file order;
    states that cannot be reached go in one extra layer at the end."""
    depth = {definition.initial: 0}
    queue = deque([definition.initial])
    while queue:
        state = queue.popleft()
        for transition in definition.transitions_from(state):
            if transition.dest not in depth:
                depth[transition.dest] = depth[state] + 1
                queue.append(transition.dest)
    last = max(depth.values(), default=0) + 1
    return {name: depth.get(name, last) for name in definition.states}


def layout(definition: WorkflowDefinition) -> dict[str, Box]:
    """Columns by depth; within a column, states keep the order of the definition file."""
    depth = layers(definition)
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for name in definition.states:  # dicts keep file order: deterministic
        column = depth[name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        boxes[name] = Box(name, MARGIN_X + column * COL_PITCH, MARGIN_Y + row * ROW_PITCH)
    return boxes


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap into at most two lines (a long single word stays whole)."""
    words = text.split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return lines or [""]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clip(box: Box, toward_x: float, toward_y: float) -> tuple[float, float]:
    """Where the ray from the box's centre toward a point leaves the box."""
    dx, dy = toward_x - box.cx, toward_y - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else math.inf,
        (BOX_H / 2) / abs(dy) if dy else math.inf,
    )
    return box.cx + dx * scale, box.cy + dy * scale


def _text_lines(lines: list[str], x: float, y: float, line_height: float) -> str:
    first = y - (len(lines) - 1) * line_height / 2
    return "".join(
        f'<tspan x="{_num(x)}" y="{_num(first + i * line_height)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )


def _edge(source: Box, dest: Box, label: str, trigger: str) -> str:
    forward = dest.x > source.x
    # Straight when it goes right or straight down to the next state in the column; otherwise
    # a quadratic curve bulging to the left of the direction of travel.
    straight = forward or (dest.x == source.x and 0 < dest.y - source.y <= ROW_PITCH)
    mx, my = (source.cx + dest.cx) / 2, (source.cy + dest.cy) / 2
    if straight:
        cx, cy = mx, my
    else:
        dx, dy = dest.cx - source.cx, dest.cy - source.cy
        length = math.hypot(dx, dy) or 1.0
        bend = BEND if dest.x != source.x else BEND * 2.2
        cx, cy = mx + dy / length * bend, my - dx / length * bend
    x1, y1 = _clip(source, cx, cy) if not straight else _clip(source, dest.cx, dest.cy)
    x2, y2 = _clip(dest, cx, cy) if not straight else _clip(dest, source.cx, source.cy)
    if straight:
        path = f"M{_num(x1)},{_num(y1)} L{_num(x2)},{_num(y2)}"
        lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
    else:
        path = f"M{_num(x1)},{_num(y1)} Q{_num(cx)},{_num(cy)} {_num(x2)},{_num(y2)}"
        # The curve's midpoint (t = 0.5).
        lx, ly = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
    lines = wrap(label, LABEL_WRAP)
    width = max(len(line) for line in lines) * 6.2 + 8
    height = len(lines) * 13 + 4
    return (
        f'<g class="edge" data-trigger={quoteattr(trigger)}>'
        f'<path d="{path}" fill="none" stroke="#5b6875" stroke-width="1.4" '
        f'marker-end="url(#wf-arrow)"/>'
        f'<rect x="{_num(lx - width / 2)}" y="{_num(ly - height / 2)}" width="{_num(width)}" '
        f'height="{_num(height)}" rx="3" fill="#ffffff" fill-opacity="0.9"/>'
        f'<text font-size="11" text-anchor="middle" dominant-baseline="central" fill="#1d2733">'
        f"{_text_lines(lines, lx, ly, 13)}</text></g>"
    )


def _box(box: Box, label: str, *, current: bool, current_note: str) -> str:
    text = f"{MARKER} {label}" if current else label
    aria = f"{label} ({current_note})" if current else label
    lines = wrap(text, STATE_WRAP)
    stroke, width, fill = ("#0b5c7a", 3.5, "#dcecf5") if current else ("#8896a3", 1.2, "#ffffff")
    weight = ' font-weight="700"' if current else ""
    current_attr = ' aria-current="step"' if current else ""
    return (
        f'<g class="state{" current" if current else ""}" data-state={quoteattr(box.name)} '
        f'role="listitem" aria-label={quoteattr(aria)}{current_attr}>'
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{BOX_W}" height="{BOX_H}" rx="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
        f'<text font-size="13"{weight} text-anchor="middle" dominant-baseline="central" '
        f'fill="#1d2733">{_text_lines(lines, box.cx, box.cy, 16)}</text></g>'
    )


def draw(definition: WorkflowDefinition, language: str, current_note: str) -> Drawing:
    """Draw the parts of the diagram that do not depend on the current state."""
    boxes = layout(definition)
    edges = []
    for transition in definition.transitions:
        label = transition.label.get(language)
        for source in transition.sources:
            edges.append(_edge(boxes[source], boxes[transition.dest], label, transition.trigger))
    labels = {name: state.label.get(language) for name, state in definition.states.items()}
    width = max(b.x for b in boxes.values()) + BOX_W + MARGIN_X
    height = max(b.y for b in boxes.values()) + BOX_H + MARGIN_Y
    return Drawing(
        width=math.ceil(width),
        height=math.ceil(height),
        edges="".join(edges),
        plain={n: _box(boxes[n], labels[n], current=False, current_note="") for n in boxes},
        current={
            n: _box(boxes[n], labels[n], current=True, current_note=current_note) for n in boxes
        },
        order=tuple(boxes),
    )


_cache: dict[tuple[str, str, str], Drawing] = {}


def cached_drawing(definition: WorkflowDefinition, language: str, current_note: str) -> Drawing:
    # Definitions are immutable once loaded; the content hash tells apart two definitions of
    # the same name and version loaded from different directories in one process.
    key = (definition.content_hash, language, current_note)
    drawing = _cache.get(key)
    if drawing is None:
        drawing = _cache[key] = draw(definition, language, current_note)
    return drawing


def render_svg(
    definition: WorkflowDefinition,
    language: str,
    current: str | None,
    *,
    title: str,
    current_note: str = "current state",
) -> str:
    """The whole SVG document for `definition` with `current` marked (None: no state marked)."""
    drawing = cached_drawing(definition, language, current_note)
    boxes = "".join(
        drawing.current[name] if name == current else drawing.plain[name] for name in drawing.order
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
        f'viewBox="0 0 {drawing.width} {drawing.height}" width="100%" '
        # On a phone the drawing keeps its own width (app.css), so its text stays readable.
        f'style="max-width:{drawing.width}px;--diagram-width:{drawing.width}px" '
        f"font-family={quoteattr(FONT)} "
        f"aria-label={quoteattr(title)}>"
        f"<title>{escape(title)}</title>"
        '<defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#5b6875"/></marker></defs>'
        f'<g class="edges">{drawing.edges}</g><g class="states" role="list">{boxes}</g></svg>'
    )


def workflow_diagram(plan: object, definition: WorkflowDefinition) -> Markup:
    """Template global: the plan's workflow as inline SVG, its current state marked."""
    language = str(get_locale() or "id")
    current = plan.state  # type: ignore[attr-defined]
    state = definition.states.get(current)
    title = _(
        "Workflow “%(workflow)s”; current state: %(state)s",
        workflow=definition.label.get(language),
        state=state.label.get(language) if state else current,
    )
    # Markup is safe here: render_svg escapes every label and attribute it writes itself.
    return Markup(
        render_svg(definition, language, current, title=title, current_note=_("current state"))
    )


_sections: dict[tuple[str, str, str], Markup] = {}


def diagram_section(case: object, definition: WorkflowDefinition, language: str) -> Markup:
    """plans/_diagram.html for `case` (the drawing, its caption and the states and steps as
    text), rendered once per definition, state and language: it reads nothing else, and was a
    few hundred template calls and translations on every plan page."""
    state: str = case.state  # type: ignore[attr-defined]
    key = (definition.content_hash, state, language)
    section = _sections.get(key)
    if section is None:
        page = render_template(
            "plans/_diagram.html", plan=case, definition=definition, language=language
        )
        section = _sections[key] = Markup(page)  # safe: the template escaped what it wrote
    return section
