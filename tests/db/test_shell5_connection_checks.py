"""Pooled database connections are pinged (SELECT 1) before use only when they may have died
unseen: after sitting idle for DATABASE_PING_IDLE_SECONDS, or when the server spoke on them
while idle (a restart ends every connection with a notice). A connection in steady use is not
asked again on every request, which cost a round trip per page (web.ping_idle_connections).

Each "request" here is an app context of its own using the session, as a web request does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text

from tests.external import in_postgres_pass, require_postgres
from workflow_app import create_app
from workflow_app.config import normalise_database_url
from workflow_app.extensions import db


def _database_url(tmp_path: Path) -> str:
    if in_postgres_pass():
        return normalise_database_url(require_postgres())
    return f"sqlite:///{tmp_path / 'ping.db'}"


def _production_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, **config: object
) -> Flask:
    monkeypatch.setenv("WORKFLOW_APP_PROFILE", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CELERY_BROKER_URL": "memory://",
            "WORKFLOWS_VERIFY_AT_STARTUP": False,  # no tables here
            **config,
        }
    )


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[object], list[Flask]]]:
    """(the pings made, the apps whose engines count them): append an app, then use it."""
    made: list[object] = []
    apps: list[Flask] = []
    yield made, apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _counting(app: Flask, made: list[object], monkeypatch: pytest.MonkeyPatch) -> Flask:
    with app.app_context():
        dialect = db.engine.dialect
    original = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        made.append(dbapi_connection)
        return original(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return app


def _use(app: Flask, statement: str = "SELECT 1") -> object:
    """One request's use of the database: its own session, its connection given back after."""
    with app.app_context():
        try:
            return db.session.execute(text(statement)).scalar()
        finally:
            db.session.remove()


def test_a_connection_in_steady_use_is_not_pinged_before_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pings: tuple[list[object], list[Flask]]
) -> None:
    made, apps = pings
    app = _counting(
        _production_app(tmp_path, monkeypatch, _database_url(tmp_path)), made, monkeypatch
    )
    apps.append(app)
    for _ in range(4):
        assert _use(app) == 1
    assert made == []


def test_a_connection_idle_longer_than_the_setting_is_pinged_before_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pings: tuple[list[object], list[Flask]]
) -> None:
    made, apps = pings
    url = _database_url(tmp_path)
    app = _production_app(tmp_path, monkeypatch, url, DATABASE_PING_IDLE_SECONDS=0)
    apps.append(_counting(app, made, monkeypatch))
    for _ in range(4):
        assert _use(app) == 1
    assert len(made) == 3  # each use but the first, whose connection was new


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pings: tuple[list[object], list[Flask]]
) -> None:
    """As after a restart of the server: the pooled connection, used a moment ago (well within
    the idle setting), was ended by the server; the next request gets a new one, no error."""
    made, apps = pings
    url = normalise_database_url(require_postgres())
    app = _counting(_production_app(tmp_path, monkeypatch, url), made, monkeypatch)
    apps.append(app)
    first = _use(app, "SELECT pg_backend_pid()")

    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq, autocommit=True) as admin:
        # Waits (up to 5 s) until the backend is gone, its notice sent and its socket closed.
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (first,)).fetchone()[0]

    second = _use(app, "SELECT pg_backend_pid()")
    assert second != first
    assert len(made) == 1  # the ended connection was pinged, and replaced
    assert _use(app) == 1 and len(made) == 1
