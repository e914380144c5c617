"""Run a definition on the `transitions` library: one machine per definition version, shared.

The machine holds the definition's graph with each transition's guards as its condition and
the door's work as its `before`/`after` callbacks. A case is never registered with the machine
(that would tie a shared object to one request): each firing runs the event directly on a
small carrier (`Firing`) that reads and writes the case's state and does the door's work, so
the machine is safe to share between threads. The carrier's methods receive
the `EventData`, whose `transition` names the edge taken.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from transitions import Machine, MachineError
from transitions.core import EventData

from .definition import TransitionDef, WorkflowDefinition
from .errors import NotAllowedFromState, UnknownTrigger


class Firing(Protocol):
    """What the machine drives: the case's state, and the door's work around the change."""

    state: str

    def guards_pass(self, transition: TransitionDef) -> bool:
        """Check the transition's guards (all of them, recording the problems)."""
        ...

    def leaving(self, transition: TransitionDef) -> None:
        """Just before the state changes: last checks that need the chosen edge."""
        ...

    def entered(self, transition: TransitionDef, from_state: str) -> None:
        """The state has changed: the side effects (history, deadlines, outbox, hooks)."""
        ...


def _guards(transition: TransitionDef, event: EventData) -> bool:
    return event.model.guards_pass(transition)


def _before(transition: TransitionDef, event: EventData) -> None:
    event.model.leaving(transition)


def _after(transition: TransitionDef, event: EventData) -> None:
    # event.transition.source is the state left (the model's state is already the new one).
    event.model.entered(transition, event.transition.source)


class WorkflowMachine:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=True,
        )
        for transition in definition.transitions:
            self._machine.add_transition(
                transition.trigger,
                list(transition.sources),
                transition.dest,
                conditions=[partial(_guards, transition)],
                before=[partial(_before, transition)],
                after=[partial(_after, transition)],
            )

    def fire(self, firing: Firing, trigger: str) -> bool:
        """Fire `trigger` on the carrier: False when a guard refused (nothing changed)."""
        if trigger not in self.definition.triggers:
            raise UnknownTrigger(f"unknown action {trigger!r}")
        if firing.state not in self.definition.states:
            raise NotAllowedFromState(f"unknown current state {firing.state!r}")
        try:
            return self._machine.events[trigger].trigger(firing)
        except MachineError as exc:
            raise NotAllowedFromState(
                f"action {trigger!r} is not possible from state {firing.state!r}"
            ) from exc
