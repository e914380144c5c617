"""Run a definition on the `transitions` library: one machine per definition version, reused.

The machine only answers "which state does this trigger lead to from here" and fires the
trigger on a small carrier object; the caller's state column stays the single truth.
"""

from __future__ import annotations

import threading

from transitions import Machine, MachineError

from .definition import WorkflowDefinition
from .errors import NotAllowedFromState, UnknownTrigger


class _StateCarrier:
    """Stands in for a plan inside the shared machine for the duration of one trigger."""

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowMachine:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for transition in definition.transitions:
            self._machine.add_transition(
                transition.trigger, list(transition.sources), transition.dest
            )

    def next_state(self, current: str, trigger: str) -> str:
        """The state `trigger` leads to from `current`, firing it on the shared machine."""
        if trigger not in self.definition.triggers:
            raise UnknownTrigger(f"unknown action {trigger!r}")
        if current not in self.definition.states:
            raise NotAllowedFromState(f"unknown current state {current!r}")
        carrier = _StateCarrier(current)
        with self._lock:
            self._machine.add_model(carrier, initial=current)
            try:
                carrier.trigger(trigger)  # type: ignore[attr-defined]
            except MachineError as exc:
                raise NotAllowedFromState(
                    f"action {trigger!r} is not possible from state {current!r}"
                ) from exc
            finally:
                self._machine.remove_model(carrier)
        return carrier.state
