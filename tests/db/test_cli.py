"""The `workflow-app` commands through Flask's CLI runner: seed-demo, plans list, plans
transition and workflows check, with their output and exit codes."""

from __future__ import annotations

import functools
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from workflow_app import create_app, demo
from workflow_app.accounts.models import User
from workflow_app.commands.exits import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.catalogue import DISTRICTS
from workflow_app.regions.models import Region

DEMO_PASSWORD = "demo-sandi-uji-2026"
EXPECTED_STATES = {
    "6301": "monitored",
    "6304": "returned",
    "6371": "draft",
    "6303": "district_review",
    "6372": "provincial_sync",
}


# argon2 is slow on purpose: hash each demo password once for the whole test session.
_hash_once = functools.cache(demo._password_hash)


@pytest.fixture(autouse=True)
def _fast_demo_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_password_hash", _hash_once)


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


def invoke(runner: FlaskCliRunner, *args: str, **env: str) -> Result:
    return runner.invoke(args=list(args), env={"WORKFLOW_APP_DEMO_PASSWORD": DEMO_PASSWORD, **env})


@pytest.fixture
def seeded(runner: FlaskCliRunner) -> FlaskCliRunner:
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0, result.output
    return runner


def plan_of(code: str) -> ActionPlan:
    db.session.expire_all()
    return db.session.scalars(
        select(ActionPlan).join(ActionPlan.region).where(Region.code == code)
    ).one()


def history(plan: ActionPlan) -> list[tuple[str, str, str | None]]:
    rows = db.session.scalars(
        select(CaseTransition)
        .where(CaseTransition.subject_is("plan", plan.id))
        .order_by(CaseTransition.id)
    )
    return [(row.trigger, row.actor.username, row.comment) for row in rows]


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(ActionPlan.id))),
        db.session.scalar(select(func.count(CaseTransition.id))),
    )


# --- seed-demo --------------------------------------------------------------------------


def test_seed_demo_creates_a_user_for_every_role_and_district(seeded: FlaskCliRunner) -> None:
    accounts = {u.username: u for u in db.session.scalars(select(User))}
    grants = {name: {(g.role, g.region_code) for g in u.grants()} for name, u in accounts.items()}

    assert grants["admin"] == {("admin", "63")}
    assert grants["provincial.63"] == {("provincial_reviewer", "63")}
    assert grants["head.63"] == {("provincial_head", "63")}
    assert grants["mitra.demo"] == {("partner", "6301"), ("partner", "6304"), ("partner", "6371")}
    for info in DISTRICTS:
        assert grants[f"drafter.{info.code}"] == {("district_drafter", info.code)}
        assert grants[f"reviewer.{info.code}"] == {("district_reviewer", info.code)}
        assert grants[f"head.{info.code}"] == {("district_head", info.code)}
    # Tanah Laut's Pokja agencies, who sign off its DAK proposal.
    for username in ("pokja.pupr.6301", "pokja.dlh.6301", "pokja.dinkes.6301"):
        assert grants[username] == {("pokja_member", "6301")}
    # ... and the built-in system account, which opened the demo's quarterly report.
    assert len(accounts) == 4 + 3 * len(DISTRICTS) + 3 + 1
    assert not accounts["sistem"].active and grants["sistem"] == {("system", "63")}

    assert accounts["drafter.6301"].email == "drafter.6301@demo.kalselprov.test"
    assert len({u.email for u in accounts.values()}) == len(accounts)
    assert all(u.language == "id" and u.full_name for u in accounts.values())
    assert accounts["reviewer.6371"].check_password(DEMO_PASSWORD)
    assert not accounts["reviewer.6371"].check_password("wrong password")


def test_seed_demo_plans_are_in_their_states_with_the_history_of_who_did_what(
    seeded: FlaskCliRunner,
) -> None:
    for code, state in EXPECTED_STATES.items():
        assert plan_of(code).state == state, code

    assert history(plan_of("6301")) == [
        ("create", "drafter.6301", None),
        ("submit", "drafter.6301", None),
        ("forward", "reviewer.6301", "Sudah dibahas dalam rapat Pokja PKP."),
        ("approve", "provincial.63", "Selaras dengan target RPJMN 2025–2029."),
        ("start_monitoring", "provincial.63", "Pemantauan triwulanan dimulai."),
    ]
    assert history(plan_of("6304"))[-1] == ("return", "provincial.63", "Lengkapi baseline BABS")
    assert history(plan_of("6303"))[-1][:2] == ("submit", "drafter.6303")
    assert [t for t, _, _ in history(plan_of("6372"))] == ["create", "submit", "forward"]
    assert history(plan_of("6371")) == [("create", "drafter.6371", None)]


def test_seed_demo_twice_adds_nothing(seeded: FlaskCliRunner) -> None:
    before = counts()
    result = invoke(seeded, "seed-demo")
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert counts() == before


def test_seed_demo_prints_a_generated_password_once_and_it_works(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKFLOW_APP_DEMO_PASSWORD", raising=False)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    match = re.search(r"shown only this once\): (\S+)$", result.output, re.MULTILINE)
    assert match, result.output
    password = match.group(1)
    assert result.output.count(password) == 1
    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    assert admin.check_password(password)

    again = runner.invoke(args=["seed-demo"])
    assert password not in again.output


def test_seed_demo_with_the_password_from_the_environment_does_not_print_it(
    runner: FlaskCliRunner,
) -> None:
    result = invoke(runner, "seed-demo")
    assert DEMO_PASSWORD not in result.output
    assert "WORKFLOW_APP_DEMO_PASSWORD" in result.output


# --- plans list -----------------------------------------------------------------------------


def list_json(runner: FlaskCliRunner, *args: str) -> list[dict]:
    result = invoke(runner, "plans", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_plans_list_json_lists_every_plan_with_its_fields(seeded: FlaskCliRunner) -> None:
    plans = list_json(seeded)
    by_region = {p["region"]: p for p in plans}
    assert {code: by_region[code]["state"] for code in EXPECTED_STATES} == EXPECTED_STATES
    tanah_laut = by_region["6301"]
    assert tanah_laut["id"] == plan_of("6301").id
    assert tanah_laut["title"] == "Rencana Aksi Sanitasi Aman Kabupaten Tanah Laut 2025–2029"
    assert tanah_laut["version"] == plan_of("6301").version
    assert (tanah_laut["period_start"], tanah_laut["period_end"]) == (2025, 2029)
    assert (tanah_laut["workflow"], tanah_laut["workflow_version"]) == ("action_plan", 3)
    updated = datetime.fromisoformat(tanah_laut["updated_at"])
    assert updated.utcoffset() is not None and updated.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - updated).total_seconds()) < 600


def test_plans_list_filters_by_region_and_state(seeded: FlaskCliRunner) -> None:
    assert [p["region"] for p in list_json(seeded, "--region", "6301")] == ["6301"]
    drafts = list_json(seeded, "--state", "draft")
    assert {p["region"] for p in drafts} == {"6371", "6305"}
    assert all(p["state"] == "draft" for p in drafts)
    assert list_json(seeded, "--region", "6371", "--state", "draft")[0]["region"] == "6371"
    assert list_json(seeded, "--region", "6371", "--state", "approved") == []
    assert list_json(seeded, "--region", "6302") == []


def test_plans_list_prints_a_table_by_default(seeded: FlaskCliRunner) -> None:
    result = invoke(seeded, "plans", "list", "--state", "returned")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "REGION", "PERIOD", "STATE", "VERSION", "TITLE"]
    assert len(rows) == 1
    assert rows[0].split()[:5] == [str(plan_of("6304").id), "6304", "Barito", "Kuala", "2025–2029"]
    assert "Rencana Aksi Sanitasi Kabupaten Barito Kuala" in rows[0]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--state", "finished", "unknown state 'finished'"),
        ("--region", "6399", "unknown region '6399'"),
    ],
)
def test_plans_list_refuses_an_unknown_state_or_region(
    seeded: FlaskCliRunner, option: str, value: str, message: str
) -> None:
    result = invoke(seeded, "plans", "list", option, value)
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert result.stdout == ""


# --- plans transition ---------------------------------------------------------------------


def test_plans_transition_submits_the_complete_demo_draft(seeded: FlaskCliRunner) -> None:
    plan_id = plan_of("6371").id
    result = invoke(seeded, "plans", "transition", str(plan_id), "submit", "--as", "drafter.6371")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"plan {plan_id}: draft → district_review (submit by drafter.6371, version "
        f"{plan_of('6371').version})"
    ]
    assert plan_of("6371").state == "district_review"
    assert history(plan_of("6371"))[-1] == ("submit", "drafter.6371", None)


def test_plans_transition_return_keeps_the_comment(seeded: FlaskCliRunner) -> None:
    plan_id = str(plan_of("6303").id)
    args = ["plans", "transition", plan_id, "return", "--as", "reviewer.6303"]
    result = invoke(seeded, *args, "--comment", "Lengkapi data IPLT")
    assert result.exit_code == 0, result.output
    assert plan_of("6303").state == "returned"
    assert history(plan_of("6303"))[-1] == ("return", "reviewer.6303", "Lengkapi data IPLT")


@pytest.mark.parametrize(
    ("code", "trigger", "username", "exit_code", "message"),
    [
        ("6371", "submit", "nobody", EXIT_NOT_FOUND, "unknown user 'nobody'"),
        ("6301", "submit", "drafter.6304", EXIT_NOT_FOUND, "plan {id} not found"),
        (
            "6371",
            "approve",
            "provincial.63",
            EXIT_REFUSED,
            "refused (409 invalid_state): action 'approve' is not possible from state 'draft'",
        ),
        ("6303", "forward", "drafter.6303", EXIT_REFUSED, "refused (403 forbidden): "),
        (
            "6303",
            "return",
            "reviewer.6303",
            EXIT_REFUSED,
            "refused (400 comment_required): action 'return' needs a comment",
        ),
        (
            "6303",
            "publish",
            "reviewer.6303",
            EXIT_REFUSED,
            "refused (400 unknown_trigger): unknown action 'publish'",
        ),
        (
            "6305",
            "submit",
            "drafter.6305",
            EXIT_REFUSED,
            "refused (409 guard_failed): the plan is not complete: The plan has no activity yet.",
        ),
    ],
)
def test_plans_transition_refusals_exit_non_zero_with_one_line_and_change_nothing(
    seeded: FlaskCliRunner,
    code: str,
    trigger: str,
    username: str,
    exit_code: int,
    message: str,
) -> None:
    plan = plan_of(code)
    state, before = plan.state, counts()
    result = invoke(seeded, "plans", "transition", str(plan.id), trigger, "--as", username)
    assert result.exit_code == exit_code
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message.format(id=plan.id) in lines[0]
    assert plan_of(code).state == state
    assert counts() == before


def test_plans_transition_of_a_plan_that_does_not_exist(seeded: FlaskCliRunner) -> None:
    result = invoke(seeded, "plans", "transition", "999999", "submit", "--as", "drafter.6301")
    assert result.exit_code == EXIT_NOT_FOUND
    assert result.stderr.strip() == "Error: plan 999999 not found"


def test_plans_transition_needs_a_user(seeded: FlaskCliRunner) -> None:
    result = invoke(seeded, "plans", "transition", str(plan_of("6371").id), "submit")
    assert result.exit_code == EXIT_USAGE
    assert "Missing option '--as'" in result.stderr
    assert plan_of("6371").state == "draft"


# --- workflows check ------------------------------------------------------------------------


def test_workflows_check_lists_the_app_definitions(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "action_plan.v1.yaml: action_plan version 1: 8 states, 8 transitions "
        "(submit, forward, return, approve, start_monitoring, close, withdraw)",
        "action_plan.v2.yaml: action_plan version 2: 8 states, 8 transitions "
        "(submit, forward, return, approve, start_monitoring, close, withdraw)",
        "action_plan.yaml: action_plan version 3: 8 states, 8 transitions "
        "(submit, forward, return, approve, start_monitoring, close, withdraw); "
        "new cases get this version",
        "dak_sanitation.v1.yaml: dak_sanitation version 1: 6 states, 7 transitions "
        "(submit, signed, object, return, recommend, withdraw)",
        "dak_sanitation.yaml: dak_sanitation version 2: 6 states, 7 transitions "
        "(submit, signed, object, return, recommend, withdraw); new cases get this version",
        "progress_report.v1.yaml: progress_report version 1: 4 states, 3 transitions "
        "(submit, return, verify)",
        "progress_report.yaml: progress_report version 2: 4 states, 3 transitions "
        "(submit, return, verify); new cases get this version",
        "sk_pokja.v1.yaml: sk_pokja version 1: 5 states, 4 transitions "
        "(submit, acknowledge, return, withdraw)",
        "sk_pokja.yaml: sk_pokja version 2: 5 states, 4 transitions "
        "(submit, acknowledge, return, withdraw); new cases get this version",
    ]


@pytest.fixture
def definitions_copy(app_ctx: Flask, tmp_path: Path) -> Path:
    source = Path(app_ctx.config["WORKFLOWS_DIR"]) / "action_plan.yaml"
    shutil.copy(source, tmp_path / "action_plan.yaml")
    return tmp_path


def break_definition(directory: Path, old: str, new: str) -> None:
    path = directory / "action_plan.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in the definition any more: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


UNREACHABLE_STATE = """  archived:
    label: {id: Arsip, en: Archived}
    owner: admin
    final: true

transitions:"""


@pytest.mark.parametrize(
    ("old", "new", "entry", "problem"),
    [
        (
            "dest: provincial_sync",
            "dest: provinsi",
            "transitions[1] (forward).dest",
            "unknown state 'provinsi'",
        ),
        (
            "roles: [district_reviewer]",
            "roles: [bupati]",
            "transitions[1] (forward).roles",
            "unknown role 'bupati'",
        ),
        (
            "guards: [plan_complete]",
            "guards: [plan_perfect]",
            "transitions[0] (submit).guards",
            "unknown guard 'plan_perfect'",
        ),
        ("\ntransitions:", "\n" + UNREACHABLE_STATE, "states.archived", "unreachable"),
        ("initial: draft", "initial: [draft", "(file)", "is not valid YAML"),
    ],
    ids=["unknown-state", "unknown-role", "unknown-guard", "unreachable-state", "yaml-syntax"],
)
def test_workflows_check_names_file_entry_and_problem_of_a_broken_definition(
    runner: FlaskCliRunner, definitions_copy: Path, old: str, new: str, entry: str, problem: str
) -> None:
    break_definition(definitions_copy, old, new)
    result = runner.invoke(args=["workflows", "check", "--dir", str(definitions_copy)])
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    # The first problem is the one made; any it causes (a state left unreachable) follow.
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"workflow definition error: action_plan.yaml: {entry}: ")
    assert problem in line
    # The app's own definitions are untouched and still valid.
    assert runner.invoke(args=["workflows", "check"]).exit_code == 0


def test_workflows_check_reports_every_broken_file(
    runner: FlaskCliRunner, definitions_copy: Path
) -> None:
    text = (definitions_copy / "action_plan.yaml").read_text(encoding="utf-8")
    (definitions_copy / "action_plan.v1.yaml").write_text(
        text.replace("owner: provincial_head", "owner: x").replace("version: 3", "version: 1"),
        encoding="utf-8",
    )
    break_definition(definitions_copy, "version: 3", "version: 4")
    break_definition(definitions_copy, "owner: district_reviewer", "owner: ketua_pokja")
    result = runner.invoke(args=["workflows", "check", "--dir", str(definitions_copy)])
    assert result.exit_code == EXIT_USAGE
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        "workflow definition error: action_plan.v1.yaml: states.closed.owner: unknown role 'x': "
        "declare it under `roles`"
    )
    assert "action_plan.yaml: states.district_review.owner: unknown role 'ketua_pokja'" in lines[1]


def test_workflows_check_accepts_two_versions_side_by_side(
    runner: FlaskCliRunner, definitions_copy: Path
) -> None:
    text = (definitions_copy / "action_plan.yaml").read_text(encoding="utf-8")
    (definitions_copy / "action_plan.v1.yaml").write_text(
        text.replace("version: 3", "version: 1"), encoding="utf-8"
    )
    result = runner.invoke(args=["workflows", "check", "--dir", str(definitions_copy)])
    assert result.exit_code == 0, result.output
    lines = sorted(result.stdout.splitlines())
    assert [line.split(": ")[:2] for line in lines] == [
        ["action_plan.v1.yaml", "action_plan version 1"],
        ["action_plan.yaml", "action_plan version 3"],
    ]


def test_workflows_check_refuses_an_empty_directory(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["workflows", "check", "--dir", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "holds no *.yaml definitions" in result.stderr


def test_seed_demo_on_a_database_without_tables_says_to_upgrade_first(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: the database has no tables yet: run `workflow-app db upgrade` first"
    )
