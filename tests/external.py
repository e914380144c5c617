"""Real services for tests: skip with a reason when absent, fail instead under CI=true."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip the test with `reason` on a developer's machine; fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required services must be present)")
    pytest.skip(reason)


def in_postgres_pass() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))


# Set by `.ci/run` for its PostgreSQL pass, which follows the SQLite pass.
SQLITE_PASS_RAN = "WORKFLOW_APP_TESTS_SQLITE_PASS_RAN"


def repeats_the_sqlite_pass() -> bool:
    """Whether this is `.ci/run`'s PostgreSQL pass, run after its SQLite pass; a PostgreSQL run
    on its own (`DATABASE_URL=postgresql://… make test`) runs every test."""
    return in_postgres_pass() and os.environ.get(SQLITE_PASS_RAN) == "1"


def once_per_ci_run(what: str, because: str = "it has a database of its own") -> None:
    """Skip in CI's PostgreSQL pass a test whose outcome the database under test cannot change
    (it brings a database of its own, or `because`): `.ci/run` runs the suite twice, and twice
    would prove nothing more."""
    if repeats_the_sqlite_pass():
        pytest.skip(f"{what}: once per CI run, in the SQLite pass ({because})")


def postgres_url() -> str:
    if in_postgres_pass():
        return os.environ["DATABASE_URL"]
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def private_database(name: str) -> str:
    """`name` for this run: tests that need a PostgreSQL database of their own (`wf_system`,
    `wf_concurrency`, ...) share the server with other runs of the suite, and `.ci/run` runs
    the SQLite and the PostgreSQL passes at once. So the name carries the suite's database and
    the pass, e.g. `wf_concurrency_test_pg`, and two runs never drop each other's database."""
    this_pass = "pg" if in_postgres_pass() else "lite"
    server_db = make_url(postgres_url()).database
    full = f"{name}_{server_db}_{this_pass}"
    if len(full.encode()) <= 63:  # PostgreSQL's longest identifier
        return full
    return f"{name[:40]}_{hashlib.sha1(full.encode()).hexdigest()[:12]}_{this_pass}"


def require_postgres() -> str:
    """A reachable PostgreSQL URL, or skip/fail."""
    import psycopg

    url = postgres_url()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable at {dsn}: {exc}")
    return url
