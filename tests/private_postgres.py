"""An app on a PostgreSQL database of its own, for tests whose threads or EXPLAIN plans must
not meet the main suite's tables (the suite's database may be SQLite or PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from workflow_app.config import normalise_database_url
from workflow_app.extensions import db

from .conftest import make_app
from .external import once_per_ci_run, private_database, require_postgres


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` if missing; return its URL."""
    url = make_url(normalise_database_url(server_url))
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


def private_postgres_app(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Flask]:
    """Yield an app on database `name` (made this run's own: `private_database`) with fresh
    tables; drop them afterwards. Such a database is the same in both passes of `.ci/run`, so
    its tests run once per CI run."""
    once_per_ci_run(f"the tests on {name}")
    url = ensure_database(require_postgres(), private_database(name))
    saved = os.environ.get("WORKFLOW_APP_INSTANCE_PATH")
    try:
        app = make_app(url, tmp_path_factory.mktemp(name) / "instance")
    finally:  # make_app points the environment at its instance folder; put it back
        if saved is None:
            os.environ.pop("WORKFLOW_APP_INSTANCE_PATH", None)
        else:
            os.environ["WORKFLOW_APP_INSTANCE_PATH"] = saved
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_tables(app: Flask) -> None:
    """Empty every table of the private database and restart its ids (between tests)."""
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()
