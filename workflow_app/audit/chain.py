"""The hash chain of a plan's history (`plan_transition`): one chain per plan, its reports'
rows included, in id order.

Each row carries `prev_hash` (the `row_hash` of the plan's previous row; None for the first)
and `row_hash`: sha256 (hex) over the canonical JSON of `prev_hash` and every column of the
row, its own id included, so a row can be neither edited, re-linked nor moved (renumbered)
without the chain showing it. Because the id is hashed, it is taken before the INSERT (the
sequence on PostgreSQL, max(id) + 1 under the write lock on SQLite), and the row is written
once, complete: nothing ever updates it.

`link_row` runs from the model's `before_insert` hook (plans/models.py), so no code path that
adds a history row through the ORM can leave it out of the chain. It locks the plan row first:
report steps do not touch the plan, so without the lock two of them could both link to the
same previous row (a fork).

Only the standard library and SQLAlchemy Core here: the model imports this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The columns hashed, in the order the chain's content names them (the key order of the JSON
# is sorted anyway; this list is what a row's content is).
HASHED_COLUMNS = (
    "id",
    "plan_id",
    "report_id",
    "workflow_version",
    "from_state",
    "to_state",
    "trigger",
    "actor_id",
    "acting_for_id",
    "role",
    "comment",
    "created_at",
)
INT_COLUMNS = frozenset(
    {"id", "plan_id", "report_id", "workflow_version", "actor_id", "acting_for_id"}
)
FORMAT = 1  # bump with a new canonical form; verify must then accept both


def canonical_time(value: datetime) -> str:
    """UTC ISO 8601 with microseconds. A naive value is UTC: SQLite keeps no offset."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == "created_at":
        return canonical_time(value)
    if column in INT_COLUMNS:
        return int(value)
    # Role is a StrEnum on the way in and a plain str on the way back; hash the same text.
    return str(value.value) if isinstance(value, Enum) else str(value)


def canonical_content(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of a history row, from its column values (an ORM object's or a
    database row's, read back on SQLite or PostgreSQL: both give the same content)."""
    return {column: _canonical_value(column, row[column]) for column in HASHED_COLUMNS}


def row_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """sha256 hex of the row's content linked to the previous row's hash."""
    document = {"format": FORMAT, "prev_hash": prev_hash, **canonical_content(row)}
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class ChainRow(Protocol):
    """What the hook reads and sets on a new history row (the ORM object)."""

    id: int | None
    plan_id: int
    created_at: datetime  # set before the hook: the column default would come too late
    prev_hash: str | None
    row_hash: str


def _values_of(target: ChainRow) -> dict[str, Any]:
    return {column: getattr(target, column) for column in HASHED_COLUMNS}


def _lock_plan(connection: Connection, plan_id: int) -> None:
    """Hold the plan's row until commit, so appends to its chain queue up one by one."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT id FROM action_plan WHERE id = :plan_id FOR UPDATE"), {"plan_id": plan_id}
        )
    else:
        # SQLite has no row locks; a no-op write takes its database write lock now, before
        # the tail is read (pysqlite starts the transaction only at the first write).
        connection.execute(
            text("UPDATE action_plan SET state = state WHERE id = :plan_id"), {"plan_id": plan_id}
        )


def _stored_tail(connection: Connection, plan_id: int) -> tuple[int, str] | None:
    found = connection.execute(
        text(
            "SELECT id, row_hash FROM plan_transition WHERE plan_id = :plan_id "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"plan_id": plan_id},
    ).first()
    return (found[0], found[1]) if found is not None else None


def _next_id(connection: Connection, pending: Iterable[ChainRow]) -> int:
    if connection.dialect.name == "postgresql":
        return int(
            connection.execute(
                text("SELECT nextval(pg_get_serial_sequence('plan_transition', 'id'))")
            ).scalar_one()
        )
    # SQLite would pick max(rowid) + 1 itself; the write lock taken above keeps it ours.
    stored = connection.execute(text("SELECT max(id) FROM plan_transition")).scalar() or 0
    return max([stored, *(row.id for row in pending if row.id is not None)]) + 1


def link_row(connection: Connection, target: ChainRow, pending: Iterable[ChainRow]) -> None:
    """Give `target` (about to be inserted) its id, `prev_hash` and `row_hash`.

    `pending` are the other history rows of the same flush: they are linked before their
    INSERT runs, so the tail of a chain may be one of them rather than a stored row."""
    _lock_plan(connection, target.plan_id)
    others = [row for row in pending if row is not target and row.row_hash is not None]
    if target.id is None:
        target.id = _next_id(connection, others)
    candidates = [
        (row.id, row.row_hash)
        for row in others
        if row.plan_id == target.plan_id and row.id is not None and row.id < target.id
    ]
    stored = _stored_tail(connection, target.plan_id)
    if stored is not None:
        candidates.append(stored)
    tail = max(candidates, default=None)
    target.prev_hash = tail[1] if tail is not None else None
    target.row_hash = row_hash(target.prev_hash, _values_of(target))
