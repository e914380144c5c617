"""The system test's world: the stack (tests/system/stack.py) on a fresh PostgreSQL database,
a private Redis and an aiosmtpd server. It needs PostgreSQL whichever database the suite runs
on, so it runs once per CI run, in the SQLite pass; everything it needs skips with the reason
when absent, and fails instead under CI=true."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.external import once_per_ci_run, private_database, require_postgres
from tests.services.support import RedisServer, SmtpSink, started

from .stack import Stack

DATABASE = private_database("wf_system")


@pytest.fixture(scope="module")
def system_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    once_per_ci_run("the stack")
    return tmp_path_factory.mktemp("system")


@pytest.fixture(scope="module")
def fresh_database(system_dir: Path) -> str:
    """An empty database: the stack's migration builds it, as on a new server."""
    server = make_url(require_postgres().replace("postgresql+psycopg://", "postgresql://"))
    admin = server.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        name = sql.Identifier(DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return server.set(database=DATABASE).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def broker(system_dir: Path) -> Iterator[RedisServer]:
    server = started(RedisServer(system_dir / "redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_server() -> Iterator[SmtpSink]:
    sink = started(SmtpSink())
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def stack(
    system_dir: Path, fresh_database: str, broker: RedisServer, mail_server: SmtpSink
) -> Iterator[Stack]:
    running = Stack(system_dir, fresh_database, broker.url, mail_server.port)
    running.start()
    yield running
    running.stop()
