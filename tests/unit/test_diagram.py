"""The workflow diagram: valid SVG drawn from the definition, the current state marked (not by
colour alone), labels escaped, the same output every time."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import yaml

from workflow_app.engine import GuardRegistry, load_definition
from workflow_app.engine.definition import parse_definition
from workflow_app.plans.diagram import layers, render_svg
from workflow_app.resources import resource_path

SVG = "{http://www.w3.org/2000/svg}"
REAL_FILE = resource_path("workflows") / "action_plan.yaml"


def _guards() -> GuardRegistry:
    registry = GuardRegistry()
    registry.register("plan_complete")(lambda subject: [])
    return registry


DEFINITION = load_definition(REAL_FILE, _guards())


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _state_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if g.get("data-state")}


def _text(element: ET.Element) -> str:
    """The visible text, wrapped lines (tspans) joined by a space."""
    return " ".join(" ".join(t.itertext()) for t in element.iter(f"{SVG}text"))


def test_the_diagram_is_valid_svg_with_every_state_label() -> None:
    for language in ("id", "en"):
        root = _parse(render_svg(DEFINITION, language, "draft", title="diagram"))
        assert root.tag == f"{SVG}svg"
        groups = _state_groups(root)
        assert set(groups) == set(DEFINITION.states)
        for name, state in DEFINITION.states.items():
            # Long labels wrap onto two lines; the words are all there.
            marker = ["●"] if name == "draft" else []
            assert _text(groups[name]).split() == marker + state.label.get(language).split()


def test_every_transition_is_an_arrow_with_its_label() -> None:
    root = _parse(render_svg(DEFINITION, "id", None, title="diagram"))
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    expected = sum(len(t.sources) for t in DEFINITION.transitions)
    assert len(edges) == expected
    labels = {" ".join(_text(e).split()) for e in edges}
    assert {t.label.id for t in DEFINITION.transitions} == labels
    assert all(e.find(f"{SVG}path").get("marker-end") == "url(#wf-arrow)" for e in edges)


def test_the_current_state_is_marked_by_more_than_colour() -> None:
    root = _parse(render_svg(DEFINITION, "id", "returned", title="diagram"))
    groups = _state_groups(root)
    current = groups["returned"]
    others = [g for name, g in groups.items() if name != "returned"]
    assert current.get("aria-current") == "step"
    assert "Dikembalikan" in current.get("aria-label")
    assert "current" in current.get("aria-label")
    assert _text(current).startswith("●")
    assert current.find(f"{SVG}text").get("font-weight") == "700"
    border = float(current.find(f"{SVG}rect").get("stroke-width"))
    assert all(float(g.find(f"{SVG}rect").get("stroke-width")) < border for g in others)
    assert all(g.get("aria-current") is None and "●" not in _text(g) for g in others)


def test_marking_another_state_moves_the_mark() -> None:
    first = render_svg(DEFINITION, "id", "draft", title="diagram")
    second = render_svg(DEFINITION, "id", "approved", title="diagram")
    assert _state_groups(_parse(second))["approved"].get("aria-current") == "step"
    assert _state_groups(_parse(second))["draft"].get("aria-current") is None
    assert first != second


def test_the_output_is_deterministic() -> None:
    first = render_svg(DEFINITION, "en", "provincial_sync", title="t")
    # A fresh copy of the definition (not the cached drawing) draws the same bytes.
    again = load_definition(REAL_FILE, _guards())
    from workflow_app.plans import diagram

    diagram._cache.clear()
    assert render_svg(again, "en", "provincial_sync", title="t") == first


def test_layers_follow_the_distance_from_the_initial_state() -> None:
    depth = layers(DEFINITION)
    assert depth["draft"] == 0
    assert depth["district_review"] == depth["withdrawn"] == 1
    assert depth["provincial_sync"] == depth["returned"] == 2
    assert depth["closed"] == 5


def test_labels_are_escaped() -> None:
    raw = yaml.safe_load(REAL_FILE.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["name"] = "escaping_test"
    raw["states"]["draft"]["label"] = {"id": 'Draf <b>&</b> "x"', "en": "Draft <&>"}
    raw["transitions"][0]["label"] = {"id": "Ajukan <script>", "en": "Submit <&>"}
    definition = parse_definition(raw, "escaping_test.yaml", _guards())
    svg = render_svg(definition, "id", "draft", title='Alur <"&">')
    assert "<b>" not in svg and "<script>" not in svg
    root = _parse(svg)  # still well-formed XML
    assert root.get("aria-label") == 'Alur <"&">'
    draft = _state_groups(root)["draft"]
    assert "<b>&</b>" in _text(draft)
    assert draft.get("aria-label").startswith('Draf <b>&</b> "x"')
    en = _parse(render_svg(definition, "en", None, title="t"))
    assert "Draft <&>" in _text(_state_groups(en)["draft"])
