"""bench/national.py at a tiny scale (`--smoke`: two provinces of a few plans per district, in
a PostgreSQL database of its own, dropped afterwards): the generator writes hash chains that
`audit verify` accepts, and each measured page answers with its statement count. Nothing here
is timed: only that it runs and what it counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.external import once_per_ci_run, private_database, require_postgres
from workflow_app.config import normalise_database_url
from workflow_app.monitoring.models import ProgressReport

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("tasks_provincial", "tasks_drafter", "plans_provincial", "dashboard_provincial")


def test_the_national_bench_generates_valid_chains_and_measures_every_page() -> None:
    once_per_ci_run("the national bench's smoke run")
    server = make_url(normalise_database_url(require_postgres()))
    url = server.set(database=private_database("wf_national_smoke")).render_as_string(False)
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "national.py"), "--smoke", "--database-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["bench"] == "national-smoke"
    figures = line["figures"]
    assert figures["generate"]["added"] == ["63", "11"]
    for page in PAGES:
        assert figures[page]["statements"] > 0, page
        assert figures[page]["explain"], page
    assert figures["sweep"]["due"] == 2
    verdict = figures["audit_verify"]
    assert verdict["ok"] is True
    assert verdict["rows"] > 0
    # Two provinces: Kalimantan Selatan's 13 districts and Aceh's 23, 4 plans each.
    assert verdict["chains"] == (13 + 23) * 4


def test_the_migration_adds_the_index_the_model_declares() -> None:
    """Migration 0025 adds progress_report (plan_id, state), as the model declares it (so
    `workflow-app db check` stays clean): My tasks' reports of a scope in one state. That the
    statement uses it shows only at scale: bench/national.py --explain."""
    once_per_ci_run("the index migration of bench/national.py")
    server = make_url(normalise_database_url(require_postgres()))
    url = server.set(database=private_database("wf_national_index")).render_as_string(False)
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(False)
    name = make_url(url).database
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env = {**os.environ, "DATABASE_URL": url}
        upgrade = [str(ROOT / ".venv" / "bin" / "workflow-app"), "db", "upgrade"]
        subprocess.run(upgrade, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn) as conn:
            found = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ("ix_progress_report_plan_id_state",),
            ).fetchone()
            assert found is not None
            assert "(plan_id, state)" in found[0]
        declared = {index.name for index in ProgressReport.__table__.indexes}
        assert "ix_progress_report_plan_id_state" in declared
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
