"""`confirm` on a transition: a decision that cannot be undone is confirmed on a page of its
own, which says what will happen (`consequence`). The loader reads it and refuses a wrong one
naming the file and the entry; the shipped definitions ask before every step a person takes
into a final state."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_app.engine import DefinitionError, GuardRegistry, Role
from workflow_app.engine.definition import load_definition
from workflow_app.engine.registry import WorkflowRegistry
from workflow_app.resources import resource_path

MINI = """\
name: mini
version: 1
initial: draft
roles:
  clerk: {label: {id: petugas, en: clerk}, scope: district}
states:
  draft: {label: {id: Draf, en: Draft}, owner: clerk}
  done: {label: {id: Selesai, en: Done}, owner: clerk, final: true}
  gone: {label: {id: Ditarik, en: Withdrawn}, owner: clerk, final: true}
transitions:
  - {trigger: finish, source: [draft], dest: done, roles: [clerk], CONFIRM}
  - {trigger: drop, source: [draft], dest: gone, roles: [clerk], confirm: true}
"""
CONSEQUENCE = "confirm: {consequence: {id: Tidak dapat dibatalkan., en: It cannot be undone.}}"


def load(tmp_path: Path, confirm: str) -> object:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI.replace("CONFIRM", confirm), encoding="utf-8")
    return load_definition(path, GuardRegistry())


def test_confirm_and_its_consequence_are_read(tmp_path: Path) -> None:
    definition = load(tmp_path, CONSEQUENCE)
    finish = definition.transition_for("finish", "draft")
    assert finish.confirm
    assert (finish.consequence.get("id"), finish.consequence.get("en")) == (
        "Tidak dapat dibatalkan.",
        "It cannot be undone.",
    )
    drop = definition.transition_for("drop", "draft")
    assert drop.confirm and drop.consequence is None  # `true`: the page names the new state
    assert [t.trigger for t in definition.transitions_where(confirm=True)] == ["finish", "drop"]


def test_no_confirm_means_no_confirmation(tmp_path: Path) -> None:
    finish = load(tmp_path, "confirm: false").transition_for("finish", "draft")
    assert not finish.confirm and finish.consequence is None


@pytest.mark.parametrize(
    ("confirm", "problem"),
    [
        ("confirm: {}", "'consequence' is a required property"),
        ("confirm: {consequence: {id: Selesai.}}", "'en' is a required property"),
        ("confirm: {consequense: {id: a, en: b}}", "'consequense' was unexpected"),
        ("confirm: yes please", "is not of type 'boolean', 'object'"),
    ],
)
def test_a_wrong_confirm_is_refused_naming_file_and_entry(
    tmp_path: Path, confirm: str, problem: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, confirm)
    lines = str(caught.value).splitlines()
    assert any(
        line.startswith("mini.yaml: transitions[0].confirm") and problem in line for line in lines
    ), lines


def test_a_transition_only_the_system_fires_confirms_nothing(tmp_path: Path) -> None:
    text = MINI.replace("CONFIRM", CONSEQUENCE).replace(
        "dest: done, roles: [clerk]", "dest: done, roles: [system]"
    )
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, GuardRegistry())
    assert (caught.value.file, caught.value.entry) == (
        "mini.yaml",
        "transitions[0] (finish).confirm",
    )
    assert "only the system fires it: nobody is there to confirm it" in caught.value.problem


def test_the_shipped_definitions_ask_before_every_step_a_person_takes_into_a_final_state() -> None:
    guards = GuardRegistry()
    for name in ("plan_complete", "report_complete"):
        guards.register(name)(lambda case: [])
    registry = WorkflowRegistry.from_directory(resource_path("workflows"), guards)
    unconfirmed = [
        f"{definition.source_file}: {step.trigger} -> {step.dest}"
        for name in registry.names()
        for definition in [registry.latest(name)]
        for step in definition.transitions
        if definition.states[step.dest].final
        and step.roles - {Role.SYSTEM.value}
        and not (step.confirm and step.consequence)
    ]
    assert not unconfirmed, "irreversible steps without a confirmation: " + ", ".join(unconfirmed)
    approve = registry.latest("action_plan").transition_for("approve", "provincial_sync")
    assert approve.confirm and "Monitoring starts by itself" in approve.consequence.get("en")
    withdraw = registry.latest("action_plan").transition_for("withdraw", "draft")
    assert withdraw.label.get("id") == "Tarik rencana aksi"
