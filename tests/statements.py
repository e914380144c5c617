"""Counting the SQL a piece of work sends: the guard of every cut in statements (tests count,
never time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
