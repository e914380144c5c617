"""Waiting for the change feed to serve what a test just committed.

On PostgreSQL the feed serves an event only once every transaction that began before it has
ended, on the whole server (transaction ids are the server's): a worker's or another
program's transaction still running holds the newest events back for a moment. A test that
reads the feed right after writing waits for that, as a client polling the feed would."""

from __future__ import annotations

import time

from sqlalchemy import text

from workflow_app.extensions import db

SETTLE_SECONDS = 30.0


def wait_until_the_feed_is_settled() -> None:
    """Return once the feed would serve every event committed so far (at once on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + SETTLE_SECONDS
    with db.engine.connect() as connection:  # its own snapshots; it writes nothing
        newest = connection.scalar(text("SELECT max(txid) FROM change_event"))
        while newest is not None:
            horizon = connection.scalar(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            )
            connection.rollback()
            if horizon > newest:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the change feed stayed behind transaction {horizon} for "
                    f"{SETTLE_SECONDS:.0f} s: a transaction left open on the server"
                )
            time.sleep(0.05)
