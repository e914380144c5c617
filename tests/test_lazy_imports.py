"""Heavy libraries only some commands and pages need are imported at their first use, not by
the app factory: every gunicorn worker (and the master it forks from) would otherwise carry
them. openpyxl (~6 MiB) serves the spreadsheet downloads and imports; Flask-Migrate with
Alembic (~12 MiB) the `db` commands. Their first use still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import make_app
from workflow_app.extensions import db

# A fresh interpreter: the test session has imported everything already.
LOADED_BY_THE_FACTORY = """
import json, sys
from workflow_app import create_app
create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WORKFLOWS_VERIFY_AT_STARTUP": False})
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""

FIRST_DOWNLOAD = """
import json, sys
from workflow_app import create_app
from workflow_app.spreadsheets.tabular import Sheet, to_xlsx
create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WORKFLOWS_VERIFY_AT_STARTUP": False})
before = "openpyxl" in sys.modules
content = to_xlsx([Sheet("Rencana", ["Kode", "Jumlah"], [["A1", 3]])])
print(json.dumps({"before": before, "after": "openpyxl" in sys.modules,
                  "zip": content[:2].decode()}))
"""


def _run(script: str, tmp_path: Path) -> object:
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"WORKFLOW_APP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_factory_does_not_import_openpyxl(tmp_path: Path) -> None:
    loaded = _run(LOADED_BY_THE_FACTORY, tmp_path)
    assert "flask" in loaded  # the probe sees the modules at all
    assert "openpyxl" not in loaded


def test_the_factory_does_not_import_flask_migrate_or_alembic(tmp_path: Path) -> None:
    loaded = _run(LOADED_BY_THE_FACTORY, tmp_path)
    assert {"flask_migrate", "alembic"}.isdisjoint(loaded)


def test_the_first_spreadsheet_imports_openpyxl_and_is_a_workbook(tmp_path: Path) -> None:
    assert _run(FIRST_DOWNLOAD, tmp_path) == {"before": False, "after": True, "zip": "PK"}


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
