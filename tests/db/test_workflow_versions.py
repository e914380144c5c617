"""Versions that cannot hurt running cases: a stored version never changes under its cases,
every case and pending step finds its definition (at start-up and in `workflows check`), and
cases move to a new version only by an explicit, recorded migration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests import factories
from tests.conftest import make_app
from workflow_app.audit.verify import verify_database
from workflow_app.commands.exits import EXIT_REFUSED, EXIT_USAGE
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.engine import DefinitionError
from workflow_app.extensions import db
from workflow_app.plans.models import ActionPlan
from workflow_app.versions.models import WorkflowVersion

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


@pytest.fixture
def workflows_dir(app_ctx: Flask, tmp_path: Path) -> Path:
    """A copy of the app's definitions to change."""
    target = tmp_path / "workflows"
    shutil.copytree(app_ctx.config["WORKFLOWS_DIR"], target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {path.name}: update this test"
    path.write_text(text.replace(old, new), encoding="utf-8")


def start_app(app_ctx: Flask, workflows: Path, tmp_path: Path) -> Flask:
    db.session.commit()
    return make_app(
        app_ctx.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "instance2",
        WORKFLOWS_DIR=str(workflows),
    )


def test_the_version_a_plan_starts_under_is_stored_with_its_hash(users: dict) -> None:
    factories.plan_in_state(users, "draft")
    stored = db.session.scalars(select(WorkflowVersion)).all()
    assert {(v.name, v.version) for v in stored} == {("action_plan", 3)}
    assert len(stored[0].content_hash) == 64


def test_editing_a_stored_version_in_place_is_refused_at_start_up(
    app_ctx: Flask, users: dict, workflows_dir: Path, tmp_path: Path
) -> None:
    factories.plan_in_state(users, "district_review")
    edit(workflows_dir / "action_plan.yaml", "sla: 5", "sla: 3")
    with pytest.raises(DefinitionError) as caught:
        start_app(app_ctx, workflows_dir, tmp_path)
    assert caught.value.file == "action_plan.yaml"
    assert "action_plan version 3 is in use since" in str(caught.value)
    assert "deadlines.district_review.sla: was 5, now 3" in str(caught.value)


def test_comments_and_layout_may_change_in_a_stored_version(
    app_ctx: Flask, users: dict, workflows_dir: Path, tmp_path: Path
) -> None:
    factories.plan_in_state(users, "district_review")
    edit(workflows_dir / "action_plan.yaml", "\nstates:", "\n# a new comment\n\nstates:")
    assert start_app(app_ctx, workflows_dir, tmp_path) is not None


def test_a_state_rolled_back_under_a_plan_is_refused_at_start_up_and_by_check(
    app_ctx: Flask, users: dict, workflows_dir: Path, tmp_path: Path, runner: FlaskCliRunner
) -> None:
    """A plan in a state its version no longer has would make every list answer 500."""
    plan = factories.plan_in_state(users, "district_review")
    # The version row is gone (as if the state had been added and used before hashes were
    # stored); the file then loses the state.
    db.session.execute(WorkflowVersion.__table__.delete())
    db.session.execute(
        ActionPlan.__table__.update().where(ActionPlan.id == plan.id).values(state="tech_review")
    )
    db.session.commit()
    with pytest.raises(DefinitionError) as caught:
        start_app(app_ctx, workflows_dir, tmp_path)
    assert caught.value.entry == "states.tech_review"
    assert "1 plan(s) are in state 'tech_review'" in caught.value.problem
    result = runner.invoke(args=["workflows", "check", "--dir", str(workflows_dir)])
    assert result.exit_code == EXIT_USAGE
    assert "states.tech_review" in result.stderr


def test_removing_a_version_file_plans_still_use_is_refused(
    app_ctx: Flask, users: dict, workflows_dir: Path, tmp_path: Path, runner: FlaskCliRunner
) -> None:
    factories.plan_in_state(users, "provincial_sync")
    main = workflows_dir / "action_plan.yaml"
    edit(main, "version: 3", "version: 4")
    result = runner.invoke(args=["workflows", "check", "--dir", str(workflows_dir)])
    assert result.exit_code == EXIT_USAGE
    assert (
        "action_plan.v3.yaml: (file): 1 plan(s) in state 'provincial_sync' run under "
        "action_plan version 3, which no file defines"
    ) in result.stderr
    with pytest.raises(DefinitionError):
        start_app(app_ctx, workflows_dir, tmp_path)


def test_a_stray_file_with_a_higher_number_does_not_become_latest(
    runner: FlaskCliRunner, workflows_dir: Path
) -> None:
    stray = workflows_dir / "action_plan.v7.yaml"
    shutil.copy(workflows_dir / "action_plan.yaml", stray)
    edit(stray, "version: 3", "version: 7")
    result = runner.invoke(args=["workflows", "check", "--dir", str(workflows_dir)])
    assert result.exit_code == EXIT_USAGE
    assert "action_plan.v7.yaml: version: action_plan version 7 is newer than" in result.stderr


def test_check_says_which_version_new_cases_get(
    runner: FlaskCliRunner, workflows_dir: Path
) -> None:
    shutil.copy(workflows_dir / "action_plan.yaml", workflows_dir / "action_plan.v3.yaml")
    edit(workflows_dir / "action_plan.yaml", "version: 3", "version: 4")
    result = runner.invoke(args=["workflows", "check", "--dir", str(workflows_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("action_plan.yaml: action_plan version 4")
        and line.endswith("new cases get this version")
        for line in lines
    )
    kept = ("action_plan.v1.yaml", "action_plan.v2.yaml", "action_plan.v3.yaml")
    assert not any(line.startswith(kept) and "new cases" in line for line in lines)


# --- workflows migrate ----------------------------------------------------------------------


@pytest.fixture
def two_versions(app_ctx: Flask, workflows_dir: Path, tmp_path: Path) -> Flask:
    """Version 4 renames `provincial_sync` to `provincial_check`; version 3 (the one new plans
    get today) is kept beside it."""
    shutil.copy(workflows_dir / "action_plan.yaml", workflows_dir / "action_plan.v3.yaml")
    main = workflows_dir / "action_plan.yaml"
    edit(main, "version: 3", "version: 4")
    edit(main, "provincial_sync", "provincial_check")
    return workflows_dir


def migrate_app(app_ctx: Flask, workflows: Path, tmp_path: Path) -> Flask:
    return start_app(app_ctx, workflows, tmp_path)


def test_migrate_refuses_an_unmapped_state_and_changes_nothing(
    app_ctx: Flask, users: dict, two_versions: Path, tmp_path: Path
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    other = migrate_app(app_ctx, two_versions, tmp_path)
    with other.app_context():
        result = other.test_cli_runner().invoke(
            args=["workflows", "migrate", "action_plan", "--from", "3", "--to", "4"]
        )
    assert result.exit_code == EXIT_REFUSED
    assert "'provincial_sync' have no place in version 4: map each with --map" in result.output
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).workflow_version == 3


def test_migrate_moves_plans_with_a_history_row_each_and_keeps_the_chain(
    app_ctx: Flask, users: dict, two_versions: Path, tmp_path: Path
) -> None:
    syncing = factories.plan_in_state(users, "provincial_sync")
    drafting = factories.plan_in_state(users, "draft")
    other = migrate_app(app_ctx, two_versions, tmp_path)
    cli = other.test_cli_runner()
    args = [
        "workflows",
        "migrate",
        "action_plan",
        "--from",
        "3",
        "--to",
        "4",
        "--map",
        "provincial_sync=provincial_check",
    ]
    with other.app_context():
        dry = cli.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"plan {syncing.id}: provincial_sync -> provincial_check" in dry.output
    assert "would move 2 case(s)" in dry.output
    db.session.expire_all()
    assert db.session.get(ActionPlan, syncing.id).workflow_version == 3

    with other.app_context():
        result = cli.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "moved 2 case(s) of action_plan from version 3 to 4" in result.output
    db.session.expire_all()
    moved = db.session.get(ActionPlan, syncing.id)
    assert (moved.state, moved.workflow_version) == ("provincial_check", 4)
    assert db.session.get(ActionPlan, drafting.id).workflow_version == 4
    last = moved.history[-1]
    assert (last.trigger, last.from_state, last.to_state, last.role) == (
        "migrate",
        "provincial_sync",
        "provincial_check",
        "system",
    )
    assert last.comment == "action_plan version 3 → 4"
    # The new state's reminders replace the old ones, counted from the same entry time.
    pending = db.session.scalars(
        select(ScheduledStep).where(
            ScheduledStep.subject_is("plan", moved.id), ScheduledStep.status == "pending"
        )
    ).all()
    assert pending and {s.state for s in pending} == {"provincial_check"}
    assert verify_database(db.engine).ok


# --- a step whose definition cannot be read -------------------------------------------------


def test_the_sweep_skips_an_unreadable_step_fires_the_others_and_status_reports_it(
    app_ctx: Flask, users: dict
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from workflow_app.deadlines.sweep import run_sweep
    from workflow_app.models_base import utcnow

    broken = factories.plan_in_state(users, "district_review")
    fine = factories.plan_in_state(users, "district_review")
    earlier = utcnow() - timedelta(hours=2)
    db.session.execute(
        update(ScheduledStep).where(ScheduledStep.step == "reminder").values(fire_at=earlier)
    )
    # A step the definition no longer knows (its file changed under the running plan). It
    # comes first in the sweep's order.
    db.session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.subject_is("plan", broken.id), ScheduledStep.step == "reminder")
        .values(step="old_reminder", fire_at=earlier - timedelta(minutes=1))
    )
    db.session.commit()
    fired = run_sweep()
    assert [(f.subject_id, f.step) for f in fired] == [(fine.id, "reminder")]
    left = db.session.scalar(
        select(ScheduledStep.status).where(ScheduledStep.step == "old_reminder")
    )
    assert left == "pending"  # it fires once its definition is back
    result = app_ctx.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 6, result.output
    assert "ATTENTION  definitions: 1 problem(s) with the loaded definitions" in result.output
    assert "'old_reminder'" in result.output
