"""Deadlines in workflow definitions: SLAs in working days and escalation steps, validated at
load. Each broken deadline is refused naming the file, the entry and the problem, by the loader
and by `workflow-app workflows check --dir`."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask

from tests.unit.test_engine_definition import GUARDS, REAL_FILE, valid
from workflow_app import create_app
from workflow_app.commands.exits import EXIT_USAGE
from workflow_app.engine import DefinitionError, load_definition
from workflow_app.engine.definition import Deadline, DeadlineStep, parse_definition


def with_deadlines() -> dict:
    """The small valid definition, its `review` state due in 3 working days, escalated to the
    heads it declares."""
    raw = valid()
    raw["roles"]["district_head"] = {"label": {"id": "pimpinan", "en": "head"}, "scope": "district"}
    raw["roles"]["provincial_head"] = {
        "label": {"id": "pimpinan provinsi", "en": "provincial head"},
        "scope": "province",
    }
    raw["deadlines"] = {
        "review": {
            "sla": 3,
            "steps": [
                {"name": "reminder", "at": -1, "notify": ["district_reviewer"]},
                {"name": "due", "at": 0, "notify": ["district_reviewer"]},
                {"name": "escalation", "at": 2, "notify": ["district_head", "provincial_head"]},
            ],
        }
    }
    raw["transitions"][1]["inform"] = ["district_drafter"]
    return raw


def test_deadlines_and_inform_roles_are_read() -> None:
    definition = parse_definition(with_deadlines(), "mini.yaml", GUARDS)
    assert definition.deadlines == {
        "review": Deadline(
            state="review",
            sla=3,
            steps=(
                DeadlineStep("reminder", -1, ("district_reviewer",)),
                DeadlineStep("due", 0, ("district_reviewer",)),
                DeadlineStep("escalation", 2, ("district_head", "provincial_head")),
            ),
        )
    }
    assert definition.transition_for("send_back", "review").inform == ("district_drafter",)
    assert definition.transition_for("submit", "draft").inform == ()


def test_a_definition_without_deadlines_has_none() -> None:
    assert parse_definition(valid(), "mini.yaml", GUARDS).deadlines == {}


def test_a_state_may_have_an_sla_without_steps() -> None:
    raw = valid() | {"deadlines": {"draft": {"sla": 1}}}
    assert parse_definition(raw, "mini.yaml", GUARDS).deadlines["draft"] == Deadline("draft", 1)


def test_the_earliest_reminder_is_one_working_day_after_entry() -> None:
    raw = with_deadlines()
    raw["deadlines"]["review"]["steps"][0]["at"] = -2  # sla 3: the first working day after entry
    steps = parse_definition(raw, "mini.yaml", GUARDS).deadlines["review"].steps
    assert steps[0] == DeadlineStep("reminder", -2, ("district_reviewer",))


def test_the_real_definition_has_the_agreed_service_levels() -> None:
    definition = load_definition(REAL_FILE, GUARDS)
    assert {state: d.sla for state, d in definition.deadlines.items()} == {
        "district_review": 5,
        "provincial_sync": 10,
        "returned": 10,
    }
    review = {step.name: step for step in definition.deadlines["district_review"].steps}
    assert review["reminder"].at < 0 and review["due"].at == 0
    assert review["escalation"].notify == ("district_head",)
    assert review["escalation_province"].notify == ("provincial_reviewer",)
    # The drafter hears about a return and an approval.
    assert "district_drafter" in definition.transition_for("return", "district_review").inform
    assert "district_drafter" in definition.transition_for("approve", "provincial_sync").inform


# --- broken deadlines ---------------------------------------------------------------------


def _deadline(path: str, value: object) -> Callable[[dict], None]:
    """Set `deadlines.<path>` (dots; digits index lists) to `value`."""

    def change(raw: dict) -> None:
        *parents, last = ["deadlines", *path.split(".")]
        target: object = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
        target[int(last) if last.isdigit() else last] = value  # type: ignore[index]

    return change


def _drop(path: str) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        *parents, last = ["deadlines", *path.split(".")]
        target: object = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
        del target[int(last) if last.isdigit() else last]  # type: ignore[union-attr]

    return change


BROKEN = [
    pytest.param(
        _deadline("review.sla", -5),
        "deadlines.review.sla",
        "must be at least 1 working day, not -5",
        id="negative-sla",
    ),
    pytest.param(
        _deadline("review.sla", 0),
        "deadlines.review.sla",
        "must be at least 1 working day, not 0",
        id="zero-sla",
    ),
    pytest.param(
        _deadline("review.sla", "five"),
        "deadlines.review.sla",
        "'five' is not of type 'integer'",
        id="sla-not-a-number",
    ),
    pytest.param(
        _deadline("review.steps.2.notify", ["district_head", "bupati"]),
        "deadlines.review.steps[2] (escalation).notify",
        "unknown role 'bupati': declare it under `roles`",
        id="unknown-role-in-step",
    ),
    pytest.param(
        _deadline("reveiw", {"sla": 2, "steps": []}),
        "deadlines.reveiw",
        "unknown state 'reveiw'",
        id="step-after-a-missing-state",
    ),
    pytest.param(
        _deadline("done", {"sla": 2}),
        "deadlines.done",
        "state 'done' is final: it has no deadline",
        id="final-state",
    ),
    pytest.param(
        _deadline("review.steps.1.name", "reminder"),
        "deadlines.review.steps[1] (reminder)",
        "step name 'reminder' is used twice",
        id="duplicate-step-name",
    ),
    pytest.param(
        _deadline("review.steps.0.at", -3),
        "deadlines.review.steps[0] (reminder).at",
        "-3 working days from the due time falls before the state is entered (sla 3)",
        id="reminder-at-entry",
    ),
    pytest.param(
        _deadline("review.steps.0.at", -10),
        "deadlines.review.steps[0] (reminder).at",
        "-10 working days from the due time falls before the state is entered (sla 3)",
        id="reminder-before-entry",
    ),
    pytest.param(
        _drop("review.sla"),
        "deadlines.review",
        "'sla' is a required property",
        id="missing-sla",
    ),
    pytest.param(
        # A step may act instead of notifying (`fire`), but it must do one or the other.
        _drop("review.steps.1.notify"),
        "deadlines.review.steps[1] (due)",
        "names nobody to notify and nothing to fire",
        id="missing-notify",
    ),
    pytest.param(
        _drop("review.steps.0.at"),
        "deadlines.review.steps[0]",
        "'at' is a required property",
        id="missing-at",
    ),
    pytest.param(
        _drop("review.steps.2.name"),
        "deadlines.review.steps[2]",
        "'name' is a required property",
        id="missing-name",
    ),
    pytest.param(
        _deadline("review.steps.0.after", 2),
        "deadlines.review.steps[0]",
        "Additional properties are not allowed ('after' was unexpected)",
        id="unknown-key-in-step",
    ),
    pytest.param(
        _deadline("review.steps.1.at", 0.5),
        "deadlines.review.steps[1].at",
        "0.5 is not of type 'integer'",
        id="fractional-working-days",
    ),
]


@pytest.mark.parametrize(("change", "entry", "problem"), BROKEN)
def test_a_broken_deadline_names_file_entry_and_problem(
    change: Callable[[dict], None], entry: str, problem: str
) -> None:
    raw = copy.deepcopy(with_deadlines())
    change(raw)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw, "mini.yaml", GUARDS)
    assert (caught.value.file, caught.value.entry, caught.value.problem) == (
        "mini.yaml",
        entry,
        problem,
    )
    assert str(caught.value) == f"mini.yaml: {entry}: {problem}"


def test_an_unknown_role_in_an_inform_list_is_refused() -> None:
    raw = with_deadlines()
    raw["transitions"][1]["inform"] = ["district_drafter", "camat"]
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw, "mini.yaml", GUARDS)
    assert (caught.value.entry, caught.value.problem) == (
        "transitions[1] (send_back).inform",
        "unknown role 'camat': declare it under `roles`",
    )


# --- the same, from a file, through `workflow-app workflows check --dir` ---------------------


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on an in-memory database: the check reads definition files only."""
    yield create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )


def _check(app: Flask, directory: Path) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["workflows", "check", "--dir", str(directory)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("change", "entry", "problem"), BROKEN)
def test_workflows_check_refuses_a_broken_deadline_in_a_file(
    cli_app: Flask, tmp_path: Path, change: Callable[[dict], None], entry: str, problem: str
) -> None:
    raw = copy.deepcopy(with_deadlines())
    change(raw)
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")

    exit_code, stdout, stderr = _check(cli_app, tmp_path)

    assert exit_code == EXIT_USAGE
    assert stdout == ""
    assert stderr.splitlines() == [f"workflow definition error: mini.yaml: {entry}: {problem}"]


def test_workflows_check_accepts_valid_deadlines_in_a_file(cli_app: Flask, tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(with_deadlines()), encoding="utf-8")

    exit_code, stdout, stderr = _check(cli_app, tmp_path)

    assert (exit_code, stderr) == (0, "")
    assert stdout.startswith("mini.yaml: mini version 1: 3 states, 3 transitions")
