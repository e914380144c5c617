"""Heavy libraries only some commands and pages need are imported at their first use, not by
the app factory: every gunicorn worker (and the master it forks from) would otherwise carry
them. openpyxl (~6 MiB) serves the spreadsheet downloads and imports; Flask-Migrate with
Alembic (~12 MiB) the `db` commands. Their first use still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.external import once_per_ci_run
from workflow_app.extensions import db

# A fresh interpreter: the test session has imported everything already. What the factory
# loaded is read before anything else is imported; then the first spreadsheet is made.
FACTORY_THEN_FIRST_DOWNLOAD = """
import json, sys
from workflow_app import create_app
create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WORKFLOWS_VERIFY_AT_STARTUP": False})
loaded = sorted({name.split(".")[0] for name in sys.modules})
from workflow_app.spreadsheets.tabular import Sheet, to_xlsx
before = "openpyxl" in sys.modules
content = to_xlsx([Sheet("Rencana", ["Kode", "Jumlah"], [["A1", 3]])])
print(json.dumps({"loaded_by_the_factory": loaded, "before": before,
                  "after": "openpyxl" in sys.modules, "zip": content[:2].decode()}))
"""


@pytest.fixture(autouse=True, scope="module")
def _once_per_ci_run() -> None:
    # Its own SQLite databases and interpreters: the database under test plays no part.
    once_per_ci_run("the lazy imports", because="they use SQLite whatever the pass")


@pytest.fixture(scope="module")
def fresh_interpreter(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What FACTORY_THEN_FIRST_DOWNLOAD saw, run once for the three tests that read it."""
    done = subprocess.run(
        [sys.executable, "-c", FACTORY_THEN_FIRST_DOWNLOAD],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={
            "WORKFLOW_APP_INSTANCE_PATH": str(tmp_path_factory.mktemp("lazy")),
            "PATH": "/usr/bin:/bin",
        },
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_factory_does_not_import_openpyxl(fresh_interpreter: dict) -> None:
    loaded = fresh_interpreter["loaded_by_the_factory"]
    assert "flask" in loaded  # the probe sees the modules at all
    assert "openpyxl" not in loaded


def test_the_factory_does_not_import_flask_migrate_or_alembic(fresh_interpreter: dict) -> None:
    assert {"flask_migrate", "alembic"}.isdisjoint(fresh_interpreter["loaded_by_the_factory"])


def test_the_first_spreadsheet_imports_openpyxl_and_is_a_workbook(
    fresh_interpreter: dict,
) -> None:
    seen = {key: fresh_interpreter[key] for key in ("before", "after", "zip")}
    assert seen == {"before": False, "after": True, "zip": "PK"}


def _lazily_bound_app(tmp_path: Path):
    return make_app(f"sqlite:///{tmp_path / 'lazy.db'}", tmp_path / "instance")


def test_db_upgrade_runs_through_the_lazy_group(tmp_path: Path) -> None:
    app = _lazily_bound_app(tmp_path)
    assert type(app.extensions["migrate"]).__name__ == "_LazyMigrateConfig"
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"alembic_version", "user_account", "action_plan"} <= tables
    # Bound for real now: the group and the config are Flask-Migrate's own.
    assert type(app.extensions["migrate"]).__name__ == "_MigrateConfig"
    assert type(app.cli.commands["db"]).__module__ == "click.core"


def test_the_db_group_lists_flask_migrates_commands(tmp_path: Path) -> None:
    app = _lazily_bound_app(tmp_path)
    listing = app.test_cli_runner().invoke(args=["--help"]).output
    assert "db" in listing and "Perform database migrations." in listing
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0
    assert {"upgrade", "downgrade", "current", "history"} <= set(result.output.split())


def test_flask_migrates_functions_read_the_lazy_config(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = _lazily_bound_app(tmp_path)
    with app.app_context():
        upgrade()
        assert "alembic_version" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
