"""A stand-in for the door's carrier (firing._Carrier), for driving the shared machine in
unit tests: it records what the machine calls, and can refuse the guards."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow_app.engine import TransitionDef, WorkflowMachine


@dataclass
class RecordingCarrier:
    state: str
    refuse: bool = False
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def guards_pass(self, transition: TransitionDef) -> bool:
        self.calls.append(("guards", transition.trigger, self.state))
        return not self.refuse

    def leaving(self, transition: TransitionDef) -> None:
        self.calls.append(("leaving", transition.trigger, self.state))

    def entered(self, transition: TransitionDef, from_state: str) -> None:
        self.calls.append(("entered", transition.trigger, from_state, self.state))


def next_state(machine: WorkflowMachine, source: str, trigger: str) -> str:
    """Fire `trigger` from `source` on a fresh carrier; the state it ends in."""
    carrier = RecordingCarrier(source)
    assert machine.fire(carrier, trigger)
    return carrier.state
