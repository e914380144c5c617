"""Workflow definitions: load a YAML file, validate its shape and its cross-references.

Every problem of a file is reported at once (DefinitionErrors), each naming the file, the
entry and what is wrong, so whoever edits the YAML fixes it in one round.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import jsonschema
import yaml

from .case_spec import CaseSpec, Requirement, parse_case, parse_requirements
from .errors import DefinitionError, DefinitionErrors
from .guards import GuardRegistry
from .roles import PLATFORM_ROLES, Label, Role, RoleDef, RoleScope
from .schema import DEFINITION_SCHEMA
from .sign_off import SignOffSpec, parse_sign_off
from .yaml_source import load_yaml

__all__ = [
    "Deadline",
    "DeadlineStep",
    "Label",
    "StateDef",
    "TransitionDef",
    "WorkflowDefinition",
    "load_definition",
    "parse_definition",
]


@dataclass(frozen=True)
class StateDef:
    name: str
    label: Label
    owner: str
    final: bool = False
    editable: bool = False
    published: bool = False
    tags: frozenset[str] = frozenset()
    task: Label | None = None
    # Parallel sign-off by several participants while the case is here (engine/sign_off.py).
    sign_off: SignOffSpec | None = None

    def has(self, tag: str) -> bool:
        return tag in self.tags


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
    summary: Label | None = None
    style: str = "primary"
    # Asks the person firing it to confirm on a page of its own first (a decision that cannot
    # be undone); `consequence` says there what will happen.
    confirm: bool = False
    consequence: Label | None = None
    snapshot: bool = False
    submission: bool = False
    signature: str | None = None
    automatic: str | None = None
    # Separation of duties: whoever fired one of these triggers on the case may not fire this.
    actor_differs_from: tuple[str, ...] = ()
    # Declared checks on the case's fields (case_spec.Requirement), beside the named guards.
    requires: tuple[Requirement, ...] = ()


@dataclass(frozen=True)
class DeadlineStep:
    """Who to notify `at` working days from the due time (negative: before it), and what
    the system fires then (`fire`: a trigger from the deadline's state), if anything."""

    name: str
    at: int
    notify: tuple[str, ...]
    summary: Label | None = None
    fire: str | None = None  # the trigger the system fires when the step is due

    @property
    def kind(self) -> str:
        """reminder (before the due time), due (at it) or escalation (after it)."""
        return "reminder" if self.at < 0 else ("due" if self.at == 0 else "escalation")


@dataclass(frozen=True)
class Deadline:
    """A state's service level: due `sla` working days after entering it, and its steps."""

    state: str
    sla: int
    steps: tuple[DeadlineStep, ...] = ()

    def step(self, name: str) -> DeadlineStep | None:
        return next((s for s in self.steps if s.name == name), None)


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    label: Label
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    roles: dict[str, RoleDef] = field(default_factory=dict)
    # A kind of case declared as data: its fields, title and lists (None: a built-in kind).
    case: CaseSpec | None = None
    source_file: str = ""
    # The parsed document as canonical JSON and its sha256: a stored version must never
    # change under running cases (comments and layout may: they are not in the content).
    content: str = field(default="", repr=False, compare=False)
    content_hash: str = ""
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

    def states_tagged(self, tag: str) -> list[str]:
        return [name for name, state in self.states.items() if tag in state.tags]

    def transitions_where(self, **attributes: object) -> list[TransitionDef]:
        """The transitions whose attributes have the values given (e.g. snapshot=True)."""
        return [
            t
            for t in self.transitions
            if all(getattr(t, name) == value for name, value in attributes.items())
        ]


def _label(raw: dict | None, fallback: str) -> Label:
    if not raw:
        return Label(id=fallback, en=fallback)
    return Label(id=raw["id"], en=raw["en"])


def _optional_label(raw: dict | None) -> Label | None:
    return Label(id=raw["id"], en=raw["en"]) if raw else None


def _entry_path(path: Iterable[object]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


class _Problems:
    """The errors of one file, collected rather than raised one by one."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[DefinitionError] = []

    def add(self, entry: str, problem: str) -> None:
        self.errors.append(DefinitionError(self.file, entry, problem))

    def raise_if_any(self) -> None:
        if self.errors:
            raise DefinitionErrors(self.errors)


def parse_definition(raw: object, file: str, guards: GuardRegistry) -> WorkflowDefinition:
    """Validate a parsed YAML document and build the definition, or raise DefinitionErrors
    (a DefinitionError) listing every problem found."""
    problems = _Problems(file)
    validator = jsonschema.Draft202012Validator(DEFINITION_SCHEMA)
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        problems.add(_entry_path(error.absolute_path), error.message)
    # The cross-checks below rely on the shape: stop here if it is wrong.
    problems.raise_if_any()
    assert isinstance(raw, dict)

    roles = _parse_roles(problems, raw["roles"])
    known_roles = set(roles) | set(PLATFORM_ROLES)

    def check_roles(entry: str, names: Iterable[str]) -> None:
        for role in names:
            if role not in known_roles:
                problems.add(entry, f"unknown role {role!r}: declare it under `roles`")

    states: dict[str, StateDef] = {}
    for name, spec in raw["states"].items():
        check_roles(f"states.{name}.owner", [spec["owner"]])
        states[name] = StateDef(
            name=name,
            label=_label(spec["label"], name),
            owner=spec["owner"],
            final=spec.get("final", False),
            editable=spec.get("editable", False),
            published=spec.get("published", False),
            tags=frozenset(spec.get("tags", ())),
            task=_optional_label(spec.get("task")),
        )
        if states[name].final and spec.get("task"):
            problems.add(f"states.{name}.task", "a final state has no task")
    if raw["initial"] not in states:
        problems.add("initial", f"unknown state {raw['initial']!r}")

    case = parse_case(problems.add, raw["case"], states, known_roles) if "case" in raw else None
    transitions = _parse_transitions(
        problems, raw["transitions"], states, guards, check_roles, case
    )
    triggers = {t.trigger for t in transitions}
    for index, transition in enumerate(transitions):
        for earlier in transition.actor_differs_from:
            if earlier not in triggers:
                problems.add(
                    f"transitions[{index}] ({transition.trigger}).actor_differs_from",
                    f"unknown trigger {earlier!r}",
                )
    for name, spec in raw["states"].items():
        if "sign_off" not in spec or name not in states:
            continue
        entry = f"states.{name}.sign_off"
        if states[name].final:
            problems.add(entry, "a final state waits for nobody's sign-off")
        if name == raw["initial"]:
            problems.add(entry, "the initial state cannot hold a sign-off: it starts on a move")
        leaving = {t.trigger: Role.SYSTEM in t.roles for t in transitions if name in t.sources}
        signing = parse_sign_off(problems.add, entry, spec["sign_off"], name, known_roles, leaving)
        states[name] = replace(states[name], sign_off=signing)
    if raw["initial"] in states:
        _check_graph(problems, raw["initial"], states, transitions)
    deadlines = _parse_deadlines(
        problems, raw.get("deadlines", {}), states, check_roles, transitions
    )
    problems.raise_if_any()
    return WorkflowDefinition(
        name=raw["name"],
        version=raw["version"],
        label=_label(raw.get("label"), raw["name"]),
        initial=raw["initial"],
        states=states,
        transitions=tuple(transitions),
        deadlines=deadlines,
        roles=roles,
        case=case,
        source_file=file,
    )


def _parse_roles(problems: _Problems, raw: dict[str, dict]) -> dict[str, RoleDef]:
    roles: dict[str, RoleDef] = {}
    for name, spec in raw.items():
        if name in PLATFORM_ROLES:
            problems.add(f"roles.{name}", f"{name!r} is a platform role and cannot be declared")
            continue
        roles[name] = RoleDef(
            name=name,
            label=_label(spec["label"], name),
            scope=RoleScope(spec["scope"]),
            delegable=spec.get("delegable", False),
            oversees=spec.get("oversees", False),
        )
    return roles


def _parse_transitions(
    problems: _Problems,
    raw: list[dict],
    states: dict[str, StateDef],
    guards: GuardRegistry,
    check_roles,
    case: CaseSpec | None,
) -> list[TransitionDef]:
    transitions: list[TransitionDef] = []
    seen: set[tuple[str, str]] = set()
    for index, spec in enumerate(raw):
        entry = f"transitions[{index}] ({spec['trigger']})"
        for source in spec["source"]:
            if source not in states:
                problems.add(f"{entry}.source", f"unknown state {source!r}")
            elif states[source].final:
                problems.add(f"{entry}.source", f"state {source!r} is final and cannot be left")
            if (spec["trigger"], source) in seen:
                problems.add(entry, f"trigger {spec['trigger']!r} from {source!r} is defined twice")
            seen.add((spec["trigger"], source))
        if spec["dest"] not in states:
            problems.add(f"{entry}.dest", f"unknown state {spec['dest']!r}")
        check_roles(f"{entry}.roles", spec["roles"])
        for guard in spec.get("guards", []):
            if guard not in guards:
                problems.add(f"{entry}.guards", f"unknown guard {guard!r}")
        check_roles(f"{entry}.inform", spec.get("inform", []))
        if spec.get("automatic") and Role.SYSTEM not in spec["roles"]:
            problems.add(
                f"{entry}.automatic",
                f"the system fires it, so its roles must include {Role.SYSTEM.value!r}",
            )
        confirm = spec.get("confirm", False)
        if confirm and set(spec["roles"]) <= {Role.SYSTEM.value}:
            problems.add(
                f"{entry}.confirm",
                "only the system fires it: nobody is there to confirm it",
            )
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
                summary=_optional_label(spec.get("summary")),
                style=spec.get("style", "primary"),
                confirm=bool(confirm),
                consequence=(
                    _optional_label(confirm.get("consequence"))
                    if isinstance(confirm, dict)
                    else None
                ),
                snapshot=spec.get("snapshot", False),
                submission=spec.get("submission", False),
                signature=spec.get("signature"),
                automatic=spec.get("automatic"),
                actor_differs_from=tuple(spec.get("actor_differs_from", ())),
                requires=parse_requirements(problems.add, entry, spec.get("requires", ()), case),
            )
        )
    return transitions


def _check_timer(
    problems: _Problems, where: str, state: str, trigger: str, transitions: list[TransitionDef]
) -> None:
    """A step's `fire`: a transition from the deadline's state that the system may fire."""
    found = next((t for t in transitions if t.trigger == trigger and state in t.sources), None)
    if found is None:
        problems.add(f"{where}.fire", f"{trigger!r} is not a transition from state {state!r}")
    elif Role.SYSTEM not in found.roles:
        problems.add(
            f"{where}.fire",
            f"{trigger!r} does not name the role 'system', which fires it when the step is due",
        )


def _parse_deadlines(
    problems: _Problems,
    raw: dict[str, dict],
    states: dict[str, StateDef],
    check_roles,
    transitions: list[TransitionDef],
) -> dict[str, Deadline]:
    deadlines: dict[str, Deadline] = {}
    for state, spec in raw.items():
        entry = f"deadlines.{state}"
        if state not in states:
            problems.add(entry, f"unknown state {state!r}")
            continue
        if states[state].final:
            problems.add(entry, f"state {state!r} is final: it has no deadline")
            continue
        sla = spec["sla"]
        if sla < 1:
            problems.add(f"{entry}.sla", f"must be at least 1 working day, not {sla}")
            continue
        steps: list[DeadlineStep] = []
        for index, step in enumerate(spec.get("steps", [])):
            where = f"{entry}.steps[{index}] ({step['name']})"
            if any(s.name == step["name"] for s in steps):
                problems.add(where, f"step name {step['name']!r} is used twice")
                continue
            if step["at"] <= -sla:
                problems.add(
                    f"{where}.at",
                    f"{step['at']} working days from the due time falls before the state is "
                    f"entered (sla {sla})",
                )
            if "notify" not in step and "fire" not in step:
                problems.add(where, "names nobody to notify and nothing to fire")
            check_roles(f"{where}.notify", step.get("notify", []))
            if "fire" in step:
                _check_timer(problems, where, state, step["fire"], transitions)
            steps.append(
                DeadlineStep(
                    step["name"],
                    step["at"],
                    tuple(step.get("notify", ())),
                    _optional_label(step.get("summary")),
                    step.get("fire"),
                )
            )
        deadlines[state] = Deadline(state=state, sla=sla, steps=tuple(steps))
    return deadlines


def _check_graph(
    problems: _Problems,
    initial: str,
    states: dict[str, StateDef],
    transitions: list[TransitionDef],
) -> None:
    edges: dict[str, set[str]] = {name: set() for name in states}
    incoming: dict[str, set[str]] = {name: set() for name in states}
    for transition in transitions:
        if transition.dest not in states:
            continue
        for source in transition.sources:
            if source in states:
                edges[source].add(transition.dest)
                incoming[transition.dest].add(source)
    reached = _closure({initial}, edges)
    # Every state must be able to end: walk back from the final states.
    can_end = _closure({name for name, state in states.items() if state.final}, incoming)
    for name, state in states.items():
        if name not in reached:
            problems.add(f"states.{name}", f"state {name!r} is unreachable from {initial!r}")
        if not state.final and not edges[name]:
            problems.add(f"states.{name}", f"state {name!r} has no way out and is not marked final")
        elif name not in can_end:
            problems.add(
                f"states.{name}",
                f"no final state can be reached from state {name!r}: a case there would "
                "circle for ever",
            )


def _closure(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    reached = set(start)
    queue = deque(start)
    while queue:
        for nxt in edges[queue.popleft()] - reached:
            reached.add(nxt)
            queue.append(nxt)
    return reached


def read_definition_file(path: Path) -> tuple[object, bytes]:
    """The parsed document of `path` and its bytes, or DefinitionError naming the file."""
    file = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(file, "(file)", f"cannot be read: {exc.strerror}") from exc
    try:
        return load_yaml(data.decode("utf-8")), data
    except UnicodeDecodeError as exc:
        raise DefinitionError(file, "(file)", f"is not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(file, "(file)", f"is not valid YAML: {exc}") from exc


def load_definition(path: Path, guards: GuardRegistry) -> WorkflowDefinition:
    raw, _data = read_definition_file(path)
    definition = parse_definition(raw, path.name, guards)
    # `action_plan.yaml`, or an older version kept beside it as `action_plan.v1.yaml`.
    stem, _, rest = path.name.partition(".")
    problems = _Problems(path.name)
    if definition.name != stem:
        problems.add("name", f"is {definition.name!r} but the file name says {stem!r}")
    if rest != "yaml" and rest != f"v{definition.version}.yaml":
        problems.add(
            "version",
            f"is {definition.version} but the file name says {rest.removesuffix('.yaml')!r}: "
            f"an older version lives in {stem}.v{definition.version}.yaml",
        )
    problems.raise_if_any()
    content = canonical_content(raw)
    return replace(
        definition, content=content, content_hash=hashlib.sha256(content.encode()).hexdigest()
    )


def canonical_content(raw: object) -> str:
    """The document as JSON with sorted keys: the same meaning gives the same text."""
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
