"""Counting the SQL a piece of work sends: the guard of every cut in statements (tests count,
never time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflow_app.extensions import db


@contextmanager
def recorded_statements(engine: Engine | None = None) -> Iterator[list[str]]:
    """The statements sent to `engine` (the app's by default) inside the block, in order."""
    engine = engine if engine is not None else db.engine
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_of_a_get(app: Flask, client: FlaskClient, url: str, status: int = 200) -> list[str]:
    """The statements a GET of `url` sends. The request runs in an app context of its own, so
    it gets its own session, as in production: nothing the test loaded can hide a query."""
    with recorded_statements() as statements, app.app_context():
        assert client.get(url).status_code == status
    return statements
