"""Fixtures: one app per session on the database under test, a clean database per test.

The database under test is SQLite (a temporary file) unless DATABASE_URL points elsewhere;
`.ci/run` runs the suite once each way.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import text

from workflow_app import create_app
from workflow_app.extensions import db
from workflow_app.security.throttling import reset_throttling

from . import factories
from .external import repeats_the_sqlite_pass, require_postgres

UNIT_TESTS = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The unit tests use no database (tests/unit: no I/O; those that build an app give it a
    SQLite database of its own): CI's PostgreSQL pass would repeat the SQLite pass's run."""
    if not repeats_the_sqlite_pass():
        return
    skip = pytest.mark.skip(reason="unit test: once per CI run, in the SQLite pass (no database)")
    for item in items:
        if UNIT_TESTS in item.path.parents:
            item.add_marker(skip)


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql")):
        require_postgres()
        return url
    return f"sqlite:///{tmp_dir / 'test.db'}"


def make_app(database_url: str, instance_path: Path, **overrides: object) -> Flask:
    os.environ["WORKFLOW_APP_INSTANCE_PATH"] = str(instance_path)
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": "localhost",
        # The dashboard's figures cache is keyed by a data stamp that frozen test clocks can
        # leave unchanged; the tests that are about the cache turn it on themselves.
        "DASHBOARD_CACHE_SECONDS": 0,
        # Tests travel in time with one signed-in browser; the tests of the session timeouts
        # set them themselves.
        "SESSION_IDLE_MINUTES": 0,
        "SESSION_ABSOLUTE_HOURS": 0,
        # Fuzzing and the route matrix call the API thousands of times a minute with one
        # token; the tests of the API's rate limit set a small one themselves.
        "API_RATE_LIMIT": "100000 per minute",
    }
    config.update(overrides)
    return create_app(config)


def _fresh_request_globals(sender: Flask, **extra: object) -> None:
    # Test requests reuse the test's app context, and with it `g`, where Flask-Login caches
    # the current user and Flask-WTF the CSRF token. Clear it so each request starts as in
    # production: otherwise a second client would be served as the first client's user.
    g.__dict__.clear()


@contextmanager
def app_with_tables(database_url: str, tmp_dir: Path, **overrides: object) -> Iterator[Flask]:
    """An app on `database_url` with the schema created, dropped again afterwards."""
    application = make_app(database_url, tmp_dir / "instance", **overrides)
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        db.drop_all()
        db.create_all()
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def app_of_its_own(tmp_dir: Path, **overrides: object) -> Iterator[Flask]:
    """An app on a SQLite database of its own: for other workflow definitions, whose stored
    versions must not meet the suite's (a fixture's version 1 is not the shipped one)."""
    return app_with_tables(f"sqlite:///{tmp_dir / 'own.db'}", tmp_dir, **overrides)


def shipped_workflows_edited(tmp_dir: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of the shipped workflow files under `tmp_dir` whose action_plan.yaml `edit`
    changed (in place, on the parsed document); the directory, for WORKFLOWS_DIR."""
    import yaml

    from workflow_app.resources import resource_path

    workflows = tmp_dir / "workflows"
    shutil.copytree(resource_path("workflows"), workflows)
    path = workflows / "action_plan.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(definition)
    path.write_text(
        yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return workflows


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("app")
    with app_with_tables(_database_url(tmp_dir), tmp_dir) as application:
        yield application


# Every sequence of the schema back to 1, in one round trip (ids restart for each test).
_RESTART_SEQUENCES = text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


_EMPTY_ALL_ON_POSTGRES: list[str] = []  # the script below, built once


def _empty_all_tables() -> None:
    # DELETE, children first, rather than TRUNCATE: on tables of a few rows TRUNCATE costs
    # about four times more on PostgreSQL (it replaces every table's files), per test.
    if db.engine.dialect.name == "postgresql":
        # The same statements as one script, one round trip instead of one per table: the
        # server's answer, not its work, was most of a test's teardown (~6 -> ~1.8 ms CPU).
        if not _EMPTY_ALL_ON_POSTGRES:
            statements = [
                str(table.delete().compile(dialect=db.engine.dialect))
                for table in reversed(db.metadata.sorted_tables)
            ]
            _EMPTY_ALL_ON_POSTGRES.append(";\n".join([*statements, str(_RESTART_SEQUENCES)]))
        db.session.connection().exec_driver_sql(_EMPTY_ALL_ON_POSTGRES[0])
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@contextmanager
def emptied_afterwards(app: Flask) -> Iterator[Flask]:
    """An app context on `app`; every table is emptied again afterwards."""
    reset_throttling(app)  # each test starts with no failed logins counted
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context with empty tables; everything is removed again afterwards."""
    with emptied_afterwards(app):
        yield app


@pytest.fixture
def users(app_ctx: Flask) -> dict[str, object]:
    accounts = factories.standard_users()
    db.session.commit()
    return accounts


@pytest.fixture
def client(app_ctx: Flask) -> FlaskClient:
    return app_ctx.test_client()


# The fixtures that stand up (or deliberately take down) a real SMTP server for a test.
SMTP_FIXTURES = frozenset({"smtp_server", "server_down"})


@pytest.fixture(autouse=True)
def _smtp_only_with_its_fixture(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that would open a real SMTP connection without asking for the SMTP fixture
    fails, instead of mailing whatever server the environment points at."""
    if SMTP_FIXTURES & set(request.fixturenames):
        return

    def refuse(self: smtplib.SMTP, host: str = "localhost", port: int = 0, *args: object) -> None:
        raise AssertionError(
            f"this test opened an SMTP connection to {host}:{port} without the smtp_server fixture"
        )

    monkeypatch.setattr(smtplib.SMTP, "connect", refuse)


_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """The CSRF token of the form on `url`, read from the page as a browser would."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF_RE.search(page) or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def signed_in(app: Flask, username: str) -> FlaskClient:
    """A browser already signed in as `username` (the login form is tested elsewhere)."""
    from workflow_app.accounts.models import User

    client = app.test_client()
    user_id = db.session.scalar(db.select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def login(client: FlaskClient, username: str, password: str = factories.PASSWORD) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
