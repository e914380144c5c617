"""Workflow definitions: load a YAML file, validate its shape and its cross-references."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

from .errors import DefinitionError
from .guards import GuardRegistry
from .roles import ALL_ROLES
from .schema import DEFINITION_SCHEMA


@dataclass(frozen=True)
class Label:
    id: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.id


@dataclass(frozen=True)
class StateDef:
    name: str
    label: Label
    owner: str
    final: bool = False
    editable: bool = False
    published: bool = False


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: Label
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    comment_required: bool = False
    inform: tuple[str, ...] = ()  # roles told about it besides the owners of `dest`


@dataclass(frozen=True)
class DeadlineStep:
    """Who to notify `at` working days from the due time (negative: before it)."""

    name: str
    at: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Deadline:
    """A state's service level: due `sla` working days after entering it, and its steps."""

    state: str
    sla: int
    steps: tuple[DeadlineStep, ...] = ()


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    label: Label
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    source_file: str = ""
    _by_trigger_source: dict[tuple[str, str], TransitionDef] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for transition in self.transitions:
            for source in transition.sources:
                self._by_trigger_source[(transition.trigger, source)] = transition

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    @property
    def triggers(self) -> list[str]:
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    def transition_for(self, trigger: str, source: str) -> TransitionDef | None:
        return self._by_trigger_source.get((trigger, source))

    def transitions_from(self, source: str) -> list[TransitionDef]:
        return [t for t in self.transitions if source in t.sources]


def _label(raw: dict | None, fallback: str) -> Label:
    if not raw:
        return Label(id=fallback, en=fallback)
    return Label(id=raw["id"], en=raw["en"])


def _entry_path(path: Iterable[object]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_definition(raw: object, file: str, guards: GuardRegistry) -> WorkflowDefinition:
    """Validate a parsed YAML document and build the definition, or raise DefinitionError."""
    validator = jsonschema.Draft202012Validator(DEFINITION_SCHEMA)
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise DefinitionError(file, _entry_path(first.absolute_path), first.message)
    assert isinstance(raw, dict)

    states: dict[str, StateDef] = {}
    for name, spec in raw["states"].items():
        if spec["owner"] not in ALL_ROLES:
            raise DefinitionError(file, f"states.{name}.owner", f"unknown role {spec['owner']!r}")
        states[name] = StateDef(
            name=name,
            label=_label(spec["label"], name),
            owner=spec["owner"],
            final=spec.get("final", False),
            editable=spec.get("editable", False),
            published=spec.get("published", False),
        )
    if raw["initial"] not in states:
        raise DefinitionError(file, "initial", f"unknown state {raw['initial']!r}")

    transitions: list[TransitionDef] = []
    seen: set[tuple[str, str]] = set()
    for index, spec in enumerate(raw["transitions"]):
        entry = f"transitions[{index}] ({spec['trigger']})"
        for source in spec["source"]:
            if source not in states:
                raise DefinitionError(file, f"{entry}.source", f"unknown state {source!r}")
            if states[source].final:
                raise DefinitionError(
                    file, f"{entry}.source", f"state {source!r} is final and cannot be left"
                )
            if (spec["trigger"], source) in seen:
                raise DefinitionError(
                    file, entry, f"trigger {spec['trigger']!r} from {source!r} is defined twice"
                )
            seen.add((spec["trigger"], source))
        if spec["dest"] not in states:
            raise DefinitionError(file, f"{entry}.dest", f"unknown state {spec['dest']!r}")
        for role in spec["roles"]:
            if role not in ALL_ROLES:
                raise DefinitionError(file, f"{entry}.roles", f"unknown role {role!r}")
        for guard in spec.get("guards", []):
            if guard not in guards:
                raise DefinitionError(file, f"{entry}.guards", f"unknown guard {guard!r}")
        for role in spec.get("inform", []):
            if role not in ALL_ROLES:
                raise DefinitionError(file, f"{entry}.inform", f"unknown role {role!r}")
        transitions.append(
            TransitionDef(
                trigger=spec["trigger"],
                label=_label(spec.get("label"), spec["trigger"]),
                sources=tuple(spec["source"]),
                dest=spec["dest"],
                roles=frozenset(spec["roles"]),
                guards=tuple(spec.get("guards", [])),
                comment_required=spec.get("comment") == "required",
                inform=tuple(spec.get("inform", [])),
            )
        )

    _check_graph(file, raw["initial"], states, transitions)
    deadlines = _parse_deadlines(file, raw.get("deadlines", {}), states)
    return WorkflowDefinition(
        name=raw["name"],
        version=raw["version"],
        label=_label(raw.get("label"), raw["name"]),
        initial=raw["initial"],
        states=states,
        transitions=tuple(transitions),
        deadlines=deadlines,
        source_file=file,
    )


def _parse_deadlines(
    file: str, raw: dict[str, dict], states: dict[str, StateDef]
) -> dict[str, Deadline]:
    deadlines: dict[str, Deadline] = {}
    for state, spec in raw.items():
        entry = f"deadlines.{state}"
        if state not in states:
            raise DefinitionError(file, entry, f"unknown state {state!r}")
        if states[state].final:
            raise DefinitionError(file, entry, f"state {state!r} is final: it has no deadline")
        sla = spec["sla"]
        if sla < 1:
            raise DefinitionError(
                file, f"{entry}.sla", f"must be at least 1 working day, not {sla}"
            )
        steps: list[DeadlineStep] = []
        for index, step in enumerate(spec.get("steps", [])):
            where = f"{entry}.steps[{index}] ({step['name']})"
            if any(s.name == step["name"] for s in steps):
                raise DefinitionError(file, where, f"step name {step['name']!r} is used twice")
            if step["at"] <= -sla:
                raise DefinitionError(
                    file,
                    f"{where}.at",
                    f"{step['at']} working days from the due time falls before the state is "
                    f"entered (sla {sla})",
                )
            for role in step["notify"]:
                if role not in ALL_ROLES:
                    raise DefinitionError(file, f"{where}.notify", f"unknown role {role!r}")
            steps.append(DeadlineStep(step["name"], step["at"], tuple(step["notify"])))
        deadlines[state] = Deadline(state=state, sla=sla, steps=tuple(steps))
    return deadlines


def _check_graph(
    file: str, initial: str, states: dict[str, StateDef], transitions: list[TransitionDef]
) -> None:
    edges: dict[str, set[str]] = {name: set() for name in states}
    for transition in transitions:
        for source in transition.sources:
            edges[source].add(transition.dest)
    reached = {initial}
    queue = deque([initial])
    while queue:
        for nxt in edges[queue.popleft()] - reached:
            reached.add(nxt)
            queue.append(nxt)
    for name, state in states.items():
        if name not in reached:
            raise DefinitionError(
                file, f"states.{name}", f"state {name!r} is unreachable from {initial!r}"
            )
        if not state.final and not edges[name]:
            raise DefinitionError(
                file, f"states.{name}", f"state {name!r} has no way out and is not marked final"
            )


def load_definition(path: Path, guards: GuardRegistry) -> WorkflowDefinition:
    file = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(file, "(file)", f"cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(file, "(file)", f"is not valid YAML: {exc}") from exc
    definition = parse_definition(raw, file, guards)
    # `action_plan.yaml` or an older version kept beside it as `action_plan.v1.yaml`.
    expected_name = path.name.split(".")[0]
    if definition.name != expected_name:
        raise DefinitionError(
            file, "name", f"is {definition.name!r} but the file name says {expected_name!r}"
        )
    return definition
