"""What `workflows check` and start-up catch beyond a single error: every problem at once, a
key written twice, a loop no case can leave, and the roles a definition declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_app.engine import DefinitionError, DefinitionErrors, GuardRegistry, RoleScope
from workflow_app.engine.definition import load_definition
from workflow_app.engine.registry import WorkflowRegistry

MINI = """\
name: mini
version: 1
initial: draft
roles:
  clerk: {label: {id: petugas, en: clerk}, scope: district, delegable: true}
  checker: {label: {id: pemeriksa, en: checker}, scope: province}
states:
  draft: {label: {id: Draf, en: Draft}, owner: clerk, tags: [review]}
  check: {label: {id: Periksa, en: Check}, owner: checker}
  done: {label: {id: Selesai, en: Done}, owner: checker, final: true}
transitions:
  - {trigger: send, source: [draft], dest: check, roles: [clerk], snapshot: true}
  - {trigger: accept, source: [check], dest: done, roles: [checker], style: secondary,
     actor_differs_from: [send], summary: {id: diterima, en: accepted}}
"""


def write(tmp_path: Path, text: str, name: str = "mini.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_roles_tags_and_attributes_are_read(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, MINI), GuardRegistry())
    assert definition.roles["clerk"].scope == RoleScope.DISTRICT
    assert definition.roles["clerk"].delegable and not definition.roles["checker"].delegable
    assert definition.states_tagged("review") == ["draft"]
    assert [t.trigger for t in definition.transitions_where(snapshot=True)] == ["send"]
    accept = definition.transition_for("accept", "check")
    assert (accept.style, accept.actor_differs_from, accept.summary.get("en")) == (
        "secondary",
        ("send",),
        "accepted",
    )


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    broken = MINI.replace("owner: checker}", "owner: boss}").replace("dest: done", "dest: gone")
    with pytest.raises(DefinitionErrors) as caught:
        load_definition(write(tmp_path, broken), GuardRegistry())
    lines = str(caught.value).splitlines()
    assert "mini.yaml: states.check.owner: unknown role 'boss': declare it under `roles`" in lines
    assert "mini.yaml: transitions[1] (accept).dest: unknown state 'gone'" in lines
    assert len(caught.value.errors) >= 3  # 'done' is now unreachable too


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    twice = MINI.replace(
        "  done: {label", "  check: {label: {id: X, en: X}, owner: clerk}\n  done: {label"
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, twice), GuardRegistry())
    assert caught.value.entry == "(file)"
    assert "key 'check' on line 10 is already used on line 9" in caught.value.problem


def test_a_loop_from_which_no_final_state_can_be_reached_is_refused(tmp_path: Path) -> None:
    looping = MINI + (
        "  - {trigger: park, source: [check], dest: parked, roles: [checker]}\n"
        "  - {trigger: unpark, source: [parked], dest: limbo, roles: [checker]}\n"
        "  - {trigger: back, source: [limbo], dest: parked, roles: [checker]}\n"
    )
    looping = looping.replace(
        "states:\n",
        "states:\n  parked: {label: {id: P, en: P}, owner: checker}\n"
        "  limbo: {label: {id: L, en: L}, owner: checker}\n",
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, looping), GuardRegistry())
    assert "no final state can be reached from state 'limbo'" in str(caught.value)
    assert "no final state can be reached from state 'parked'" in str(caught.value)


def test_a_platform_role_cannot_be_redeclared(tmp_path: Path) -> None:
    text = MINI.replace("roles:\n", "roles:\n  admin: {label: {id: a, en: a}, scope: district}\n")
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, text), GuardRegistry())
    assert caught.value.entry == "roles.admin"


def test_two_files_must_agree_on_a_shared_role(tmp_path: Path) -> None:
    write(tmp_path, MINI)
    other = MINI.replace("name: mini", "name: other").replace(
        "scope: province}", "scope: district}"
    )
    write(tmp_path, other, "other.yaml")
    with pytest.raises(DefinitionError) as caught:
        WorkflowRegistry.from_directory(tmp_path, GuardRegistry())
    assert caught.value.entry == "roles.checker"
    assert "differs from its declaration in mini.yaml" in caught.value.problem


def test_an_automatic_transition_must_be_the_systems(tmp_path: Path) -> None:
    text = MINI.replace("roles: [clerk], snapshot: true", "roles: [clerk], automatic: period_start")
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, text), GuardRegistry())
    assert caught.value.entry == "transitions[0] (send).automatic"


def test_a_kept_version_file_must_say_its_version(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, MINI, "mini.v2.yaml"), GuardRegistry())
    assert caught.value.entry == "version"
    assert "is 1 but the file name says 'v2'" in caught.value.problem


def test_new_cases_get_the_version_in_the_unnumbered_file(tmp_path: Path) -> None:
    write(tmp_path, MINI.replace("version: 1", "version: 2"))
    write(tmp_path, MINI, "mini.v1.yaml")
    registry = WorkflowRegistry.from_directory(tmp_path, GuardRegistry())
    assert registry.latest("mini").version == 2
    assert [d.version for d in registry.versions_of("mini")] == [1, 2]


TIMED = MINI.replace(
    "  - {trigger: accept,",
    "  - {trigger: lapse, source: [check], dest: draft, roles: [checker, system]}\n"
    "  - {trigger: accept,",
) + (
    "deadlines:\n"
    "  check:\n"
    "    sla: 5\n"
    "    steps:\n"
    "      - {name: reminder, at: -1, notify: [checker]}\n"
    "      - {name: lapsed, at: 3, fire: lapse}\n"
)


def test_a_deadline_step_may_fire_a_transition_the_system_may_fire(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, TIMED), GuardRegistry())
    steps = definition.deadlines["check"].steps
    assert [(s.name, s.notify, s.fire) for s in steps] == [
        ("reminder", ("checker",), None),
        ("lapsed", (), "lapse"),
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            ("fire: lapse}", "fire: accept}"),
            "mini.yaml: deadlines.check.steps[1] (lapsed).fire: 'accept' does not name the role "
            "'system', which fires it when the step is due",
        ),
        (
            ("fire: lapse}", "fire: send}"),
            "mini.yaml: deadlines.check.steps[1] (lapsed).fire: 'send' is not a transition from "
            "state 'check'",
        ),
        (
            ("at: 3, fire: lapse}", "at: 3}"),
            "mini.yaml: deadlines.check.steps[1] (lapsed): names nobody to notify and nothing "
            "to fire",
        ),
    ],
)
def test_a_timer_that_cannot_act_is_refused_by_name(
    tmp_path: Path, change: tuple[str, str], error: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, TIMED.replace(*change)), GuardRegistry())
    assert error in str(caught.value).splitlines()
