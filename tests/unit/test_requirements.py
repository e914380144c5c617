"""What the features need the definitions to declare: a definition lacking it is refused when
the definitions load, naming the file and the entry, not on the day the feature first runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from workflow_app.engine import DefinitionError, DefinitionErrors, GuardRegistry, WorkflowRegistry
from workflow_app.engine.requirements import (
    Requirement,
    RequirementRegistry,
    check_requirements,
    requirements,
)
from workflow_app.monitoring.requirements import HAND_IN_REPORTS, START_MONITORING
from workflow_app.resources import resource_path
from workflow_app.web import load_workflows

SHIPPED = resource_path("workflows")
AUTOMATIC = "    automatic: period_start\n"
SUBMISSION = "    submission: true\n"


def _guards() -> GuardRegistry:
    registry = GuardRegistry()
    for name in ("plan_complete", "report_complete"):
        registry.register(name)(lambda subject: [])
    return registry


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """A copy of the shipped definitions to change."""
    target = tmp_path / "workflows"
    shutil.copytree(SHIPPED, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {path.name}: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def check(directory: Path) -> list[DefinitionError]:
    return check_requirements(WorkflowRegistry.from_directory(directory, _guards()))


def test_monitoring_registers_its_requirements() -> None:
    registered = list(requirements)
    assert START_MONITORING in registered
    assert HAND_IN_REPORTS in registered
    assert START_MONITORING.workflow == "action_plan"
    assert HAND_IN_REPORTS.workflow == "progress_report"


def test_the_shipped_definitions_meet_every_requirement() -> None:
    assert check(SHIPPED) == []


def test_a_plan_workflow_without_the_automatic_transition_is_refused(workflows: Path) -> None:
    edit(workflows / "action_plan.yaml", AUTOMATIC, "")
    [error] = check(workflows)
    assert error.file == "action_plan.yaml"
    assert error.entry == "transitions"
    assert "automatic: period_start" in error.problem
    assert "monitoring" in error.problem


def test_the_automatic_transition_must_lead_into_a_monitoring_state(workflows: Path) -> None:
    edit(workflows / "action_plan.yaml", "    tags: [monitoring]\n", "")
    [error] = check(workflows)
    assert (error.file, error.entry) == ("action_plan.yaml", "transitions")
    assert "tagged `monitoring`" in error.problem


def test_a_report_workflow_without_a_submission_is_refused(workflows: Path) -> None:
    edit(workflows / "progress_report.yaml", SUBMISSION, "")
    [error] = check(workflows)
    assert (error.file, error.entry) == ("progress_report.yaml", "transitions")
    assert "submission: true" in error.problem


def test_every_loaded_version_is_checked(workflows: Path) -> None:
    kept = workflows / "action_plan.v1.yaml"  # shipped beside version 2
    edit(kept, AUTOMATIC, "")
    [error] = check(workflows)
    assert (error.file, error.entry) == ("action_plan.v1.yaml", "transitions")


def test_a_workflow_with_no_loaded_version_is_not_checked(workflows: Path) -> None:
    for path in workflows.glob("progress_report*.yaml"):  # the kept versions too
        path.unlink()
    assert check(workflows) == []


def test_every_problem_is_reported_with_what_needs_it(workflows: Path) -> None:
    edit(workflows / "action_plan.yaml", AUTOMATIC, "")
    edit(workflows / "progress_report.yaml", SUBMISSION, "")
    errors = check(workflows)
    assert sorted(e.file for e in errors) == ["action_plan.yaml", "progress_report.yaml"]
    assert all(e.problem.endswith(")") for e in errors)
    assert f"({START_MONITORING.what})" in str(DefinitionErrors(errors))


def test_a_feature_may_bring_its_own_requirements() -> None:
    own = RequirementRegistry()
    needs_sync = own.register(
        Requirement(
            "action_plan",
            "the sync page",
            lambda d: [] if d.states_tagged("sync") else [("states", "no state tagged `sync`")],
        )
    )
    needs_nothing = Requirement("no_such_workflow", "nothing", lambda d: [("x", "never runs")])
    registry = WorkflowRegistry.from_directory(SHIPPED, _guards())
    assert check_requirements(registry, [needs_sync, needs_nothing]) == []
    assert list(own) == [needs_sync]
    # The same requirement twice is fine; another check under the same name is not.
    own.register(needs_sync)
    with pytest.raises(ValueError):
        own.register(Requirement("action_plan", "the sync page", lambda d: []))


def test_the_app_refuses_to_start_naming_the_file_and_the_entry(workflows: Path) -> None:
    edit(workflows / "action_plan.yaml", AUTOMATIC, "")
    app = Flask(__name__)
    app.config["WORKFLOWS_DIR"] = str(workflows)
    with pytest.raises(DefinitionErrors) as caught:
        load_workflows(app)
    assert caught.value.file == "action_plan.yaml"
    assert caught.value.entry == "transitions"
    assert str(caught.value).startswith("action_plan.yaml: transitions: no transition has ")


def test_the_app_loads_the_shipped_definitions() -> None:
    app = Flask(__name__)
    app.config["WORKFLOWS_DIR"] = str(SHIPPED)
    assert {d.name for d in load_workflows(app).definitions()} == {
        "action_plan",
        "dak_sanitation",
        "progress_report",
        "sk_pokja",
    }
