"""Loading and validating workflow definitions: each broken definition names file, entry and
problem, so whoever edits the YAML sees at start-up what to fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from workflow_app.engine import (
    DefinitionError,
    GuardRegistry,
    RoleCatalogue,
    RoleScope,
    WorkflowRegistry,
    load_definition,
)
from workflow_app.engine.definition import parse_definition
from workflow_app.resources import resource_path

REAL_FILE = resource_path("workflows") / "action_plan.yaml"


def _guards(*names: str) -> GuardRegistry:
    registry = GuardRegistry()
    for name in names:
        registry.register(name)(lambda subject: [])
    return registry


GUARDS = _guards("plan_complete")


# The workflow roles the small definition declares (platform roles need no declaration).
MINI_ROLES = {
    "district_drafter": {
        "label": {"id": "penyusun", "en": "drafter"},
        "scope": "district",
        "delegable": True,
    },
    "district_reviewer": {"label": {"id": "pereviu", "en": "reviewer"}, "scope": "district"},
}


def valid() -> dict:
    """A small valid definition: draft -> review -> done, with a way back and a way out."""
    return {
        "name": "mini",
        "version": 1,
        "label": {"id": "Mini", "en": "Mini"},
        "initial": "draft",
        "roles": copy.deepcopy(MINI_ROLES),
        "states": {
            "draft": {"label": {"id": "Draf", "en": "Draft"}, "owner": "district_drafter"},
            "review": {"label": {"id": "Reviu", "en": "Review"}, "owner": "district_reviewer"},
            "done": {"label": {"id": "Selesai", "en": "Done"}, "owner": "admin", "final": True},
        },
        "transitions": [
            {
                "trigger": "submit",
                "source": ["draft"],
                "dest": "review",
                "roles": ["district_drafter"],
                "guards": ["plan_complete"],
            },
            {
                "trigger": "send_back",
                "source": ["review"],
                "dest": "draft",
                "roles": ["district_reviewer"],
                "comment": "required",
            },
            {
                "trigger": "finish",
                "source": ["review"],
                "dest": "done",
                "roles": ["district_reviewer"],
            },
        ],
    }


def test_the_real_definition_loads() -> None:
    definition = load_definition(REAL_FILE, GUARDS)
    # Version 3 asks before what cannot be undone; versions 1 and 2 stay beside it for the
    # plans they run.
    assert definition.key == ("action_plan", 3)
    assert definition.source_file == "action_plan.yaml"
    assert definition.transition_for("forward", "district_review").actor_differs_from == ("submit",)
    assert definition.transition_for("approve", "provincial_sync").actor_differs_from == (
        "submit",
        "forward",
    )
    assert definition.states["draft"].label.get("id") == "Draf"
    assert definition.states["draft"].label.get("en") == "Draft"
    assert definition.states["closed"].final and definition.states["withdrawn"].final
    assert {n for n, s in definition.states.items() if s.editable} == {"draft", "returned"}
    assert {n for n, s in definition.states.items() if s.published} == {
        "approved",
        "monitored",
        "closed",
    }
    owners = {name: state.owner for name, state in definition.states.items()}
    assert owners["district_review"] == "district_reviewer"
    assert owners["provincial_sync"] == "provincial_reviewer"
    assert definition.transition_for("submit", "draft").guards == ("plan_complete",)


def test_the_real_definition_needs_its_guard() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(REAL_FILE, GuardRegistry())
    assert caught.value.file == "action_plan.yaml"
    assert caught.value.entry == "transitions[0] (submit).guards"
    assert caught.value.problem == "unknown guard 'plan_complete'"


def test_the_small_definition_is_valid() -> None:
    definition = parse_definition(valid(), "mini.yaml", GUARDS)
    assert definition.transition_for("send_back", "review").comment_required


def test_declared_roles_are_read_and_platform_roles_need_no_declaration() -> None:
    definition = parse_definition(valid(), "mini.yaml", GUARDS)
    assert set(definition.roles) == {"district_drafter", "district_reviewer"}
    drafter = definition.roles["district_drafter"]
    assert (drafter.scope, drafter.delegable, drafter.oversees) == (
        RoleScope.DISTRICT,
        True,
        False,
    )
    assert drafter.label.get("en") == "drafter"
    assert not definition.roles["district_reviewer"].delegable
    assert definition.states["done"].owner == "admin"  # a platform role, not declared
    catalogue = RoleCatalogue(definition.roles.values())
    assert catalogue.scope_of("district_reviewer") == RoleScope.DISTRICT
    assert catalogue.scope_of("admin") == RoleScope.GLOBAL
    assert catalogue.scope_of("bupati") is None


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        *parents, last = path.split(".")
        target: object = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
        target[int(last) if last.isdigit() else last] = value  # type: ignore[index]

    return change


def _delete(path: str) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        *parents, last = path.split(".")
        target: object = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
        del target[int(last) if last.isdigit() else last]  # type: ignore[union-attr]

    return change


def _add_transition(**spec: object) -> Callable[[dict], None]:
    return lambda raw: raw["transitions"].append(spec)


def _add_state(name: str, **spec: object) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["states"][name] = {"label": {"id": name, "en": name}, "owner": "admin", **spec}

    return change


BROKEN = [
    pytest.param(
        _delete("transitions.0.dest"),
        "transitions[0]",
        "'dest' is a required property",
        id="missing-key",
    ),
    pytest.param(
        _delete("initial"), "(top level)", "'initial' is a required property", id="no-initial"
    ),
    pytest.param(
        _set("version", "one"), "version", "'one' is not of type 'integer'", id="wrong-type"
    ),
    pytest.param(
        _set("transitions.1.comment", True),
        "transitions[1].comment",
        "True is not one of ['required', 'optional']",
        id="wrong-comment-value",
    ),
    pytest.param(
        _set("states.draft.colour", "red"),
        "states.draft",
        "Additional properties are not allowed ('colour' was unexpected)",
        id="unknown-property",
    ),
    pytest.param(
        _set("states.draft.label", {"id": "Draf"}),
        "states.draft.label",
        "'en' is a required property",
        id="label-without-english",
    ),
    pytest.param(
        _set("initial", "start"), "initial", "unknown state 'start'", id="unknown-initial"
    ),
    pytest.param(
        _set("transitions.0.source", ["draft", "drfat"]),
        "transitions[0] (submit).source",
        "unknown state 'drfat'",
        id="unknown-source",
    ),
    pytest.param(
        _set("transitions.2.dest", "finished"),
        "transitions[2] (finish).dest",
        "unknown state 'finished'",
        id="unknown-dest",
    ),
    pytest.param(
        _set("transitions.2.roles", ["district_reviewer", "bupati"]),
        "transitions[2] (finish).roles",
        "unknown role 'bupati': declare it under `roles`",
        id="unknown-role-in-transition",
    ),
    pytest.param(
        _set("states.review.owner", "ketua_pokja"),
        "states.review.owner",
        "unknown role 'ketua_pokja': declare it under `roles`",
        id="unknown-role-as-owner",
    ),
    pytest.param(_delete("roles"), "(top level)", "'roles' is a required property", id="no-roles"),
    pytest.param(
        _set("roles.district_reviewer.scope", "kecamatan"),
        "roles.district_reviewer.scope",
        "'kecamatan' is not one of ['district', 'province', 'global']",
        id="unknown-scope",
    ),
    pytest.param(
        _set("roles.admin", {"label": {"id": "admin", "en": "admin"}, "scope": "global"}),
        "roles.admin",
        "'admin' is a platform role and cannot be declared",
        id="platform-role-declared",
    ),
    pytest.param(
        _set("transitions.0.guards", ["plan_complete", "budget_balanced"]),
        "transitions[0] (submit).guards",
        "unknown guard 'budget_balanced'",
        id="unknown-guard",
    ),
    pytest.param(
        _add_state("archived", final=True),
        "states.archived",
        "state 'archived' is unreachable from 'draft'",
        id="unreachable-state",
    ),
    pytest.param(
        lambda raw: (
            _add_state("parked")(raw),
            _add_transition(
                trigger="park", source=["review"], dest="parked", roles=["district_reviewer"]
            )(raw),
        ),
        "states.parked",
        "state 'parked' has no way out and is not marked final",
        id="dead-end-state",
    ),
    pytest.param(
        _add_transition(trigger="reopen", source=["done"], dest="draft", roles=["admin"]),
        "transitions[3] (reopen).source",
        "state 'done' is final and cannot be left",
        id="transition-out-of-final",
    ),
    pytest.param(
        _add_transition(trigger="submit", source=["draft"], dest="done", roles=["admin"]),
        "transitions[3] (submit)",
        "trigger 'submit' from 'draft' is defined twice",
        id="same-trigger-same-source",
    ),
]


@pytest.mark.parametrize(("change", "entry", "problem"), BROKEN)
def test_a_broken_definition_names_file_entry_and_problem(
    change: Callable[[dict], None], entry: str, problem: str
) -> None:
    raw = copy.deepcopy(valid())
    change(raw)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw, "mini.yaml", GUARDS)
    assert (caught.value.file, caught.value.entry, caught.value.problem) == (
        "mini.yaml",
        entry,
        problem,
    )
    # The first problem names the error; others it causes follow (an unknown `dest` also
    # leaves states without a way to a final state), one line each.
    assert str(caught.value).splitlines()[0] == f"mini.yaml: {entry}: {problem}"


@pytest.mark.parametrize(("change", "entry", "problem"), BROKEN[:3])
def test_a_broken_yaml_file_is_refused_by_file_name(
    tmp_path: Path, change: Callable[[dict], None], entry: str, problem: str
) -> None:
    raw = copy.deepcopy(valid())
    change(raw)
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, GUARDS)
    assert (caught.value.file, caught.value.entry, caught.value.problem) == (
        "mini.yaml",
        entry,
        problem,
    )


def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, GUARDS)
    assert (caught.value.file, caught.value.entry) == ("mini.yaml", "(top level)")
    assert "is not of type 'object'" in caught.value.problem


def test_invalid_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text("name: mini\nstates: {draft: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, GUARDS)
    assert (caught.value.file, caught.value.entry) == ("mini.yaml", "(file)")
    assert caught.value.problem.startswith("is not valid YAML")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(tmp_path / "mini.yaml", GUARDS)
    assert (caught.value.file, caught.value.entry) == ("mini.yaml", "(file)")
    assert caught.value.problem.startswith("cannot be read")


def test_file_name_must_match_the_definition_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(valid()), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, GUARDS)
    assert (caught.value.file, caught.value.entry, caught.value.problem) == (
        "other.yaml",
        "name",
        "is 'mini' but the file name says 'other'",
    )


def test_an_older_version_may_sit_beside_the_current_one(tmp_path: Path) -> None:
    second = valid() | {"version": 2}
    (tmp_path / "mini.v1.yaml").write_text(yaml.safe_dump(valid()), encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(second), encoding="utf-8")
    registry = WorkflowRegistry.from_directory(tmp_path, GUARDS)
    assert registry.latest("mini").version == 2
    assert registry.get("mini", 1).source_file == "mini.v1.yaml"
    assert sorted(d.version for d in registry.definitions()) == [1, 2]


def test_the_same_version_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mini.v1.yaml").write_text(yaml.safe_dump(valid()), encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(valid()), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        WorkflowRegistry.from_directory(tmp_path, GUARDS)
    assert (caught.value.file, caught.value.entry, caught.value.problem) == (
        "mini.yaml",
        "version",
        "mini version 1 is defined twice",
    )


def test_a_directory_without_definitions_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        WorkflowRegistry.from_directory(tmp_path, GUARDS)
    assert caught.value.problem == "holds no *.yaml definitions"


def test_a_broken_file_stops_the_whole_directory(tmp_path: Path) -> None:
    """One bad definition among good ones still stops start-up, naming the bad file."""
    broken = valid() | {"name": "broken", "initial": "nowhere"}
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(valid()), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        WorkflowRegistry.from_directory(tmp_path, GUARDS)
    assert (caught.value.file, caught.value.entry) == ("broken.yaml", "initial")
