"""The migrations build exactly the schema the models describe (on the database of the pass:
SQLite, or a PostgreSQL database of their own), and take it all down again."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from psycopg import sql
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from tests.conftest import make_app
from tests.external import private_database, require_postgres
from workflow_app.extensions import db

DATABASE = private_database("wf_migrations")


def fresh_database_url(tmp_path: Path) -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    server = make_url(require_postgres().replace("postgresql+psycopg://", "postgresql://"))
    admin = server.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        name = sql.Identifier(DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return server.set(database=DATABASE).render_as_string(hide_password=False)


@pytest.fixture
def migrated_app(tmp_path: Path):
    saved = os.environ.get("WORKFLOW_APP_INSTANCE_PATH")
    try:
        app = make_app(fresh_database_url(tmp_path), tmp_path / "instance")
    finally:
        os.environ["WORKFLOW_APP_INSTANCE_PATH"] = saved or ""
        if saved is None:
            del os.environ["WORKFLOW_APP_INSTANCE_PATH"]
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_migrations_build_the_schema_of_the_models_and_take_it_down(migrated_app) -> None:
    with migrated_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "a model change without its migration: " + repr(differences)

        downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
