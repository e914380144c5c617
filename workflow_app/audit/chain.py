"""The hash chain of the history (`plan_transition`): one chain per chain root, in id order.

A row's chain is named by `chain_kind` and `chain_id`: a plan's rows and its reports' rows
form the plan's chain. Each row carries `prev_hash` (the `row_hash` of the chain's previous
row; None for the first) and `row_hash`: sha256 (hex) over the canonical JSON of `prev_hash`
and every column of the row, its own id included, so a row can be neither edited, re-linked
nor moved (renumbered) without the chain showing it. Because the id is hashed, it is taken
before the INSERT (the sequence on PostgreSQL, max(id) + 1 under the write lock on SQLite),
and the row is written once, complete: nothing ever updates it.

Two canonical forms exist. Format 1 (rows written before cases were named by kind and id)
hashed `plan_id` and `report_id`; migration 0011 replaced those columns by the subject and
chain columns, from which the format-1 content is derived exactly (plan_id = chain_id,
report_id = subject_id of a report's row), so old rows verify unchanged. Format 2 hashes the
subject and chain columns themselves. `hash_format` says which form a row was hashed in.

`link_row` runs from the model's `before_insert` hook (history.py), so no code path that adds
a history row through the ORM can leave it out of the chain. It locks the chain root's row
first: rows of a report do not touch the plan, so without the lock two of them could both link
to the same previous row (a fork).

Only the standard library and SQLAlchemy Core here: the model imports this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any, Protocol

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

# The columns hashed, per format (the key order of the JSON is sorted anyway; a list is what
# a row's content is).
COMMON_COLUMNS = (
    "id",
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
HASHED_COLUMNS = {
    1: ("plan_id", "report_id", *COMMON_COLUMNS),
    2: ("subject_kind", "subject_id", "chain_kind", "chain_id", *COMMON_COLUMNS),
}
INT_COLUMNS = frozenset(
    {
        "id",
        "plan_id",
        "report_id",
        "subject_id",
        "chain_id",
        "workflow_version",
        "actor_id",
        "acting_for_id",
    }
)
FORMAT = 2  # the form new rows are hashed in; verify accepts every form in HASHED_COLUMNS
# Format 1 knew only plans (the chain roots) and their reports.
FORMAT_1_CHAIN, FORMAT_1_REPORT = "plan", "report"


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


def format_1_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The plan and report ids a format-1 row was hashed with, from the columns that replaced
    them; a row whose columns could not have come from format 1 gets values that cannot
    match (so an edit of its subject or chain shows as a changed row)."""
    if row["chain_kind"] != FORMAT_1_CHAIN:
        return {"plan_id": None, "report_id": -1}
    if row["subject_kind"] == FORMAT_1_REPORT:
        return {"plan_id": row["chain_id"], "report_id": row["subject_id"]}
    if row["subject_kind"] == FORMAT_1_CHAIN and row["subject_id"] == row["chain_id"]:
        return {"plan_id": row["chain_id"], "report_id": None}
    return {"plan_id": None, "report_id": -1}


def canonical_content(row: Mapping[str, Any], form: int = FORMAT) -> dict[str, Any]:
    """The hashed content of a history row in canonical form `form`, from its column values
    (an ORM object's or a database row's, read back on SQLite or PostgreSQL: both give the
    same content)."""
    values = {**row, **format_1_values(row)} if form == 1 else row
    return {column: _canonical_value(column, values[column]) for column in HASHED_COLUMNS[form]}


def row_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """sha256 hex of the row's content, in the form its `hash_format` names, linked to the
    previous row's hash. An unknown form raises KeyError."""
    form = int(row["hash_format"])
    return digest({"format": form, "prev_hash": prev_hash, **canonical_content(row, form)})


def digest(document: Mapping[str, Any]) -> str:
    """sha256 hex of `document` as canonical JSON (sorted keys, no spaces, UTF-8): the one
    hash of every chain, the history's and the log of administrative acts alike."""
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class ChainRow(Protocol):
    """What the hook reads and sets on a new history row (the ORM object)."""

    id: int | None
    subject_kind: str
    subject_id: int
    chain_kind: str
    chain_id: int
    hash_format: int
    created_at: datetime  # set before the hook: the column default would come too late
    prev_hash: str | None
    row_hash: str


ROW_COLUMNS = frozenset(column for form in HASHED_COLUMNS.values() for column in form) | {
    "hash_format",
    "subject_kind",
    "subject_id",
    "chain_kind",
    "chain_id",
}


def _values_of(target: ChainRow) -> dict[str, Any]:
    return {
        column: getattr(target, column)
        for column in ROW_COLUMNS
        if column not in ("plan_id", "report_id")
    }


@cache
def _lock_root_query(dialect: str, table: str) -> TextClause:
    if dialect == "postgresql":
        return text(f"SELECT id FROM {table} WHERE id = :root_id FOR UPDATE")
    # SQLite has no row locks; a no-op write takes its database write lock now, before the
    # tail is read (pysqlite starts the transaction only at the first write).
    return text(f"UPDATE {table} SET state = state WHERE id = :root_id")


def _lock_root(connection: Connection, table: str, root_id: int) -> None:
    """Hold the chain root's row until commit, so appends to its chain queue up one by one.
    `table` is a mapped table's name (never user input); every kind's table has `state`."""
    connection.execute(_lock_root_query(connection.dialect.name, table), {"root_id": root_id})


# The chain's stored tail, and the id the new row will have: none (it has one), the sequence's
# next (PostgreSQL), or max(id) + 1 (SQLite picks max(rowid) + 1 itself; the write lock taken
# before keeps it ours).
_TAIL = (
    "SELECT id, row_hash FROM plan_transition "
    "WHERE chain_kind = :chain_kind AND chain_id = :chain_id "
    "ORDER BY id DESC LIMIT 1"
)
_NEXT_ID = {
    "given": "NULL",
    "postgresql": "nextval(pg_get_serial_sequence('plan_transition', 'id'))",
    "sqlite": "coalesce((SELECT max(id) FROM plan_transition), 0) + 1",
}


@cache
def _next_id_and_tail_query(next_id: str) -> TextClause:
    """The read of `_next_id_and_tail`, parsed once per way of taking the id."""
    return text(
        f"SELECT {_NEXT_ID[next_id]} AS next_id, tail.id, tail.row_hash "
        f"FROM (SELECT 1 AS one) AS here LEFT JOIN ({_TAIL}) AS tail ON 1 = 1"
    )


def _next_id_and_tail(
    connection: Connection, target: ChainRow, pending: Iterable[ChainRow]
) -> tuple[int | None, tuple[int, str] | None]:
    """The id to give the new row (None: it has one) and the chain's stored tail (id,
    row_hash), in one round trip, under the root's lock taken before. The lock stays a
    statement of its own: on PostgreSQL a tail read in the locking statement would see the
    snapshot taken before it waited for the lock (a fork)."""
    postgresql = connection.dialect.name == "postgresql"
    next_id = "given" if target.id is not None else "postgresql" if postgresql else "sqlite"
    found = connection.execute(
        _next_id_and_tail_query(next_id),
        {"chain_kind": target.chain_kind, "chain_id": target.chain_id},
    ).one()
    new_id = None if found[0] is None else int(found[0])
    if new_id is not None and not postgresql:
        new_id = max([new_id, *(row.id + 1 for row in pending if row.id is not None)])
    return new_id, ((found[1], found[2]) if found[1] is not None else None)


def link_row(
    connection: Connection,
    target: ChainRow,
    pending: Iterable[ChainRow],
    root_table: str,
    *,
    root_locked: bool = False,
) -> None:
    """Give `target` (about to be inserted) its id, `prev_hash` and `row_hash`.

    `pending` are the other history rows of the same flush: they are linked before their
    INSERT runs, so the tail of a chain may be one of them rather than a stored row.
    `root_table` holds the chain root's row, locked while the tail is read. `root_locked`:
    this transaction already holds that row (it has just UPDATEd it, which conflicts with
    another's `FOR UPDATE` as the lock does), so no statement of its own is needed; the tail
    is still read in a later statement, with a fresh snapshot."""
    if not root_locked:
        _lock_root(connection, root_table, target.chain_id)
    others = [row for row in pending if row is not target and row.row_hash is not None]
    next_id, stored = _next_id_and_tail(connection, target, others)
    if target.id is None:
        target.id = next_id
    candidates = [
        (row.id, row.row_hash)
        for row in others
        if (row.chain_kind, row.chain_id) == (target.chain_kind, target.chain_id)
        and row.id is not None
        and row.id < target.id
    ]
    if stored is not None:
        candidates.append(stored)
    tail = max(candidates, default=None)
    target.prev_hash = tail[1] if tail is not None else None
    target.row_hash = row_hash(target.prev_hash, _values_of(target))
