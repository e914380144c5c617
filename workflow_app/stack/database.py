"""The stack's PostgreSQL database: created on the server when missing, so `make stack` works
on a fresh machine with only the server running."""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from ..config import normalise_database_url


def libpq_url(url: str, database: str | None = None) -> str:
    parsed = make_url(normalise_database_url(url)).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def ensure_database(url: str) -> bool:
    """Create the database `url` names if it does not exist; True if it was created. Raises
    psycopg.OperationalError when the server does not answer."""
    name = make_url(normalise_database_url(url)).database
    if not name:
        raise ValueError(f"{url!r} names no database")
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True
