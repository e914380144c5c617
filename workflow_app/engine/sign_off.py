"""Parallel sign-off: a state whose case waits for the opinions of several participants at
once (each holder of a role where the case is, say each agency of a district's Pokja), each
answering "agree" or "object" with a comment, each chased by its own reminder steps.

The state completes when the declared quorum agrees (`quorum`: a number, or `all`); the
definition names what the system fires then (`on_quorum`), on an objection (`on_objection`)
and when the quorum can no longer be reached (`on_unreachable`). A step may count a missing
answer as agreement ("no objection") when its deadline passes (`counts_as: agree`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .roles import PLATFORM_ROLES, Label, Role

#: The pseudo-role a sign-off step notifies to reach the participant it chases.
PARTICIPANT = "participant"
AGREE, OBJECT = "agree", "object"
ANSWERS = (AGREE, OBJECT)


@dataclass(frozen=True)
class SignOffStep:
    """`at` working days from the sign-off's due time (negative: before it): tell `notify`
    (roles, or `participant`), and with `counts_as`, record that answer for the silent."""

    name: str
    at: int
    notify: tuple[str, ...] = ()
    summary: Label | None = None
    counts_as: str | None = None

    @property
    def kind(self) -> str:
        return "reminder" if self.at < 0 else ("due" if self.at == 0 else "escalation")


@dataclass(frozen=True)
class SignOffSpec:
    role: str  # every holder of it where the case is answers
    quorum: int | None  # None: all of them
    sla: int  # working days each participant has
    label: Label | None = None
    on_quorum: str | None = None
    on_objection: str | None = None
    on_unreachable: str | None = None
    steps: tuple[SignOffStep, ...] = ()

    def needed(self, participants: int) -> int:
        """How many must agree among `participants`."""
        return participants if self.quorum is None else min(self.quorum, participants)

    def step(self, name: str) -> SignOffStep | None:
        return next((s for s in self.steps if s.name == name), None)

    def outcome(self, participants: int, agreed: int, objected: int) -> str | None:
        """The trigger the answers so far call for, if any (agreed and objected counted)."""
        unanswered = participants - agreed - objected
        if participants and agreed >= self.needed(participants):
            return self.on_quorum
        if objected and self.on_objection:
            return self.on_objection
        if agreed + unanswered < self.needed(participants):
            return self.on_unreachable
        return None


def _label(raw: Mapping[str, str] | None) -> Label | None:
    return Label(id=raw["id"], en=raw["en"]) if raw else None


def parse_sign_off(
    add: Callable[[str, str], None],
    entry: str,
    raw: Mapping[str, Any],
    state: str,
    roles: Iterable[str],
    system_triggers: Mapping[str, bool],
) -> SignOffSpec:
    """A state's `sign_off:` block; `system_triggers` maps each trigger leaving the state to
    whether the system may fire it."""
    known_roles = set(roles)
    role = raw["role"]
    if role not in known_roles:
        add(f"{entry}.role", f"unknown role {role!r}: declare it under `roles`")
    elif role in PLATFORM_ROLES:
        add(f"{entry}.role", f"{role!r} is a platform role; participants hold a declared role")
    quorum = None if raw["quorum"] == "all" else int(raw["quorum"])
    for outcome in ("on_quorum", "on_objection", "on_unreachable"):
        trigger = raw.get(outcome)
        if trigger is None:
            continue
        if trigger not in system_triggers:
            add(f"{entry}.{outcome}", f"{trigger!r} is not a transition from state {state!r}")
        elif not system_triggers[trigger]:
            add(
                f"{entry}.{outcome}",
                f"{trigger!r} does not name the role {Role.SYSTEM.value!r}, which fires it",
            )
    sla = raw["sla"]
    steps: list[SignOffStep] = []
    for index, step in enumerate(raw.get("steps", [])):
        where = f"{entry}.steps[{index}] ({step['name']})"
        if any(s.name == step["name"] for s in steps):
            add(where, f"step name {step['name']!r} is used twice")
        if step["at"] <= -sla:
            add(f"{where}.at", f"{step['at']} falls before the sign-off starts (sla {sla})")
        for name in step.get("notify", []):
            if name != PARTICIPANT and name not in known_roles:
                add(f"{where}.notify", f"unknown role {name!r} (or `{PARTICIPANT}`)")
        if not step.get("notify") and not step.get("counts_as"):
            add(where, "names nobody to notify and no answer to count")
        steps.append(
            SignOffStep(
                name=step["name"],
                at=step["at"],
                notify=tuple(step.get("notify", ())),
                summary=_label(step.get("summary")),
                counts_as=step.get("counts_as"),
            )
        )
    return SignOffSpec(
        role=role,
        quorum=quorum,
        sla=sla,
        label=_label(raw.get("label")),
        on_quorum=raw.get("on_quorum"),
        on_objection=raw.get("on_objection"),
        on_unreachable=raw.get("on_unreachable"),
        steps=tuple(steps),
    )
