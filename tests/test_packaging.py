"""The wheel is a working app on its own: templates, definitions, migrations and static files
ship inside the package, and the `workflow-app` command works from the installed code."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.external import once_per_ci_run

ROOT = Path(__file__).resolve().parent.parent

# Runs the `workflow-app` console script declared by the unpacked wheel's own metadata.
CONSOLE_SCRIPT = """
import sys
from importlib.metadata import distributions
site = sys.argv[1]
[dist] = [d for d in distributions(path=[site]) if d.metadata["Name"] == "workflow-app"]
[entry] = dist.entry_points.select(group="console_scripts", name="workflow-app")
sys.argv = ["workflow-app", *sys.argv[2:]]
sys.exit(entry.load()())
"""

# Where the running app finds its files, and whether it serves its pages.
WHERE_FROM = """
import json
import workflow_app
from workflow_app import create_app, web
app = create_app()
client = app.test_client()
print(json.dumps({
    "package": workflow_app.__file__,
    "template": app.jinja_env.get_template("base.html").filename,
    "workflows": app.config["WORKFLOWS_DIR"],
    "static": app.static_folder,
    "migrations": str(web.MIGRATIONS_DIR),
    "login": client.get("/login").status_code,
    "css": client.get("/static/app.css").status_code,
}))
"""


@pytest.fixture(autouse=True, scope="module")
def _once_per_ci_run() -> None:
    # The installed wheel runs without DATABASE_URL (its own embedded SQLite database).
    once_per_ci_run("the wheel", because="the database under test plays no part")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # fast, and no download of the build backend
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    [built] = out.glob("workflow_app-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip would install it, away from the repository."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


@pytest.fixture
def run_installed(installed: Path, tmp_path: Path) -> Iterator:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "WORKFLOW_APP_PROFILE", "PYTHONPATH")
    }
    env.update(
        PYTHONPATH=str(installed),
        WORKFLOW_APP_INSTANCE_PATH=str(tmp_path / "instance"),
        WORKFLOW_APP_DEMO_PASSWORD="sandi-demo-paket",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=tmp_path,  # not the repository, so nothing is imported from the checkout
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    yield run


def test_the_wheel_ships_templates_definitions_migrations_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "workflow_app/templates/base.html",
        "workflow_app/workflows/action_plan.yaml",
        "workflow_app/migrations/versions/0001_initial_schema.py",
        "workflow_app/migrations/env.py",
        "workflow_app/migrations/alembic.ini",
        "workflow_app/static/app.css",
    ):
        assert required in names
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "__pycache__" in n]


def test_the_wheel_declares_the_workflow_app_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "workflow-app = workflow_app.cli:main" in text


def test_the_installed_app_uses_its_own_files_not_the_repository(
    installed: Path, run_installed
) -> None:
    result = run_installed("-c", WHERE_FROM)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("package", "template", "workflows", "static", "migrations"):
        assert Path(found[key]).resolve().is_relative_to(installed.resolve()), (key, found[key])
    assert found["css"] == 200
    assert found["login"] == 200


def test_the_installed_command_migrates_seeds_and_lists(installed: Path, run_installed) -> None:
    script = ("-c", CONSOLE_SCRIPT, str(installed))

    upgrade = run_installed(*script, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "0001" in upgrade.stderr  # alembic logs the migrations it ran

    check = run_installed(*script, "workflows", "check")
    assert check.returncode == 0, check.stderr
    # Every shipped definition is packaged, the kept version beside the current one.
    lines = check.stdout.splitlines()
    assert lines[0].startswith("action_plan.v1.yaml: action_plan version 1")
    assert any(line.startswith("action_plan.v2.yaml: action_plan version 2") for line in lines)
    assert any(line.startswith("action_plan.yaml: action_plan version 3") for line in lines)
    assert any(line.startswith("dak_sanitation.yaml:") for line in lines)

    seed = run_installed(*script, "seed-demo")
    assert seed.returncode == 0, seed.stderr
    listed = run_installed(*script, "plans", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 5
