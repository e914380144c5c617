"""The shared `transitions` machine: one per definition version, reused, leaving nothing behind;
guards are its conditions and the door's work its callbacks, in order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from tests.unit.machine_carrier import RecordingCarrier, next_state
from workflow_app.engine import (
    GuardRegistry,
    NotAllowedFromState,
    UnknownTrigger,
    WorkflowMachine,
    WorkflowRegistry,
)
from workflow_app.resources import resource_path

# (trigger, source) -> destination, as the issue describes the workflow.
ALLOWED = {
    ("submit", "draft"): "district_review",
    ("submit", "returned"): "district_review",
    ("forward", "district_review"): "provincial_sync",
    ("return", "district_review"): "returned",
    ("return", "provincial_sync"): "returned",
    ("approve", "provincial_sync"): "approved",
    ("start_monitoring", "approved"): "monitored",
    ("close", "monitored"): "closed",
    ("withdraw", "draft"): "withdrawn",
    ("withdraw", "returned"): "withdrawn",
}
STATES = sorted({s for _, s in ALLOWED} | set(ALLOWED.values()))
TRIGGERS = sorted({t for t, _ in ALLOWED})


def _guards() -> GuardRegistry:
    registry = GuardRegistry()
    registry.register("plan_complete")(lambda plan: [])
    registry.register("report_complete")(lambda report: [])
    return registry


@pytest.fixture(scope="module")
def registry() -> WorkflowRegistry:
    return WorkflowRegistry.from_directory(resource_path("workflows"), _guards())


@pytest.fixture(scope="module")
def machine(registry: WorkflowRegistry) -> WorkflowMachine:
    return registry.machine("action_plan", 1)


def _models(machine: WorkflowMachine) -> int:
    return len(machine._machine.models)


def test_the_registry_reuses_one_machine_per_version(registry: WorkflowRegistry) -> None:
    first = registry.machine("action_plan", 3)
    assert registry.machine("action_plan", 3) is first
    assert registry.get("action_plan", 3) is first.definition
    assert registry.latest("action_plan") is first.definition


def test_each_version_has_its_own_machine(tmp_path: Path) -> None:
    raw = yaml.safe_load((resource_path("workflows") / "action_plan.yaml").read_text())
    (tmp_path / "action_plan.v1.yaml").write_text(yaml.safe_dump(raw | {"version": 1}))
    (tmp_path / "action_plan.yaml").write_text(yaml.safe_dump(raw | {"version": 2}))
    registry = WorkflowRegistry.from_directory(tmp_path, _guards())
    one, two = registry.machine("action_plan", 1), registry.machine("action_plan", 2)
    assert one is not two
    assert (one.definition.version, two.definition.version) == (1, 2)
    assert registry.machine("action_plan", 2) is two
    with pytest.raises(KeyError):
        registry.machine("action_plan", 3)


@pytest.mark.parametrize(("trigger", "source"), sorted(ALLOWED))
def test_next_state_of_every_allowed_pair(
    machine: WorkflowMachine, trigger: str, source: str
) -> None:
    assert next_state(machine, source, trigger) == ALLOWED[(trigger, source)]


@pytest.mark.parametrize(
    ("trigger", "source"),
    [(t, s) for t in TRIGGERS for s in STATES if (t, s) not in ALLOWED],
)
def test_next_state_of_every_other_pair_is_refused(
    machine: WorkflowMachine, trigger: str, source: str
) -> None:
    with pytest.raises(NotAllowedFromState):
        next_state(machine, source, trigger)


@pytest.mark.parametrize("trigger", ["publish", "create", "to_draft", "to_closed", ""])
def test_unknown_trigger(machine: WorkflowMachine, trigger: str) -> None:
    """Including the `to_<state>` shortcuts `transitions` would add if auto transitions were on."""
    with pytest.raises(UnknownTrigger):
        next_state(machine, "draft", trigger)


def test_unknown_current_state_is_refused(machine: WorkflowMachine) -> None:
    with pytest.raises(NotAllowedFromState):
        next_state(machine, "archived", "submit")


def test_carriers_are_removed_after_each_call(machine: WorkflowMachine) -> None:
    before = _models(machine)
    for _ in range(50):
        for (trigger, source), dest in ALLOWED.items():
            assert next_state(machine, source, trigger) == dest
    assert _models(machine) == before


@pytest.mark.parametrize(
    ("source", "trigger", "error"),
    [
        ("closed", "submit", NotAllowedFromState),
        ("archived", "submit", NotAllowedFromState),
        ("draft", "publish", UnknownTrigger),
    ],
)
def test_carriers_are_removed_after_a_failing_call(
    machine: WorkflowMachine, source: str, trigger: str, error: type[Exception]
) -> None:
    before = _models(machine)
    for _ in range(20):
        with pytest.raises(error):
            next_state(machine, source, trigger)
    assert _models(machine) == before
    assert next_state(machine, "draft", "submit") == "district_review"


def test_threads_share_the_machine_without_mixing_up_states(machine: WorkflowMachine) -> None:
    pairs = sorted(ALLOWED)
    wrong: list[tuple[str, str, str]] = []
    start = threading.Barrier(4)

    def work(offset: int) -> None:
        start.wait()
        for i in range(300):
            trigger, source = pairs[(i + offset) % len(pairs)]
            result = next_state(machine, source, trigger)
            if result != ALLOWED[(trigger, source)]:
                wrong.append((trigger, source, result))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert _models(machine) == 0


def test_a_fresh_machine_has_no_models() -> None:
    registry = WorkflowRegistry.from_directory(resource_path("workflows"), _guards())
    machine = registry.machine("action_plan", 1)
    assert _models(machine) == 0
    assert isinstance(machine, WorkflowMachine)


def test_the_callbacks_run_in_order_around_the_change(machine: WorkflowMachine) -> None:
    carrier = RecordingCarrier("district_review")
    assert machine.fire(carrier, "forward")
    assert carrier.calls == [
        ("guards", "forward", "district_review"),
        ("leaving", "forward", "district_review"),
        ("entered", "forward", "district_review", "provincial_sync"),
    ]


def test_a_refused_guard_changes_nothing_and_calls_nothing_else(machine: WorkflowMachine) -> None:
    carrier = RecordingCarrier("draft", refuse=True)
    assert machine.fire(carrier, "submit") is False
    assert carrier.state == "draft"
    assert carrier.calls == [("guards", "submit", "draft")]


def test_a_refusal_while_leaving_keeps_the_state(machine: WorkflowMachine) -> None:
    class Refusing(RecordingCarrier):
        def leaving(self, transition: object) -> None:
            raise PermissionError("duties")

    carrier = Refusing("provincial_sync")
    with pytest.raises(PermissionError):
        machine.fire(carrier, "approve")
    assert carrier.state == "provincial_sync"
