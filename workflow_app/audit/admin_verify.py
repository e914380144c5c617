"""Check the log of administrative acts: one chain, in id order, ending where its head says.

Besides what the history's check finds (an act edited, deleted from the middle, re-linked;
links.py), the head shows what links alone cannot: acts cut off the end (the head names a
last act the log no longer has) and acts appended by hand past it (correctly linked, but
never written through the log, so the head still names an earlier act).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from .admin_log import act_hash
from .admin_models import HEAD_ID, AdminAct, AdminActHead
from .links import Break, Reason, first_link_break

CHAIN = ("admin log", 0)  # how a break of this chain is named beside the history's


@dataclass(frozen=True)
class LogVerdict:
    acts: int
    broken: Break | None


def _hash_matches(row: RowMapping) -> bool:
    return row["row_hash"] is not None and row["row_hash"] == act_hash(row["prev_hash"], row)


def _ending_break(rows: list[RowMapping], head: RowMapping | None) -> Break | None:
    last_id = head["last_id"] if head is not None else None
    last_hash = head["last_hash"] if head is not None else None
    if not rows:
        if last_hash is None:
            return None  # nothing recorded yet
        return Break(
            *CHAIN, None, Reason.ROW_MISSING, f"every act is missing, the last was row {last_id}"
        )
    last = rows[-1]
    if last["row_hash"] == last_hash and last["id"] == last_id:
        return None
    position = next((i for i, row in enumerate(rows) if row["row_hash"] == last_hash), None)
    if position is not None:  # the head names an earlier act: the rows after it came by hand
        added = rows[position + 1] if position + 1 < len(rows) else last
        return Break(
            *CHAIN,
            added["id"],
            Reason.ROW_INSERTED,
            f"it comes after the log's last act, row {rows[position]['id']}",
        )
    if last_hash is None:
        return Break(
            *CHAIN,
            rows[0]["id"],
            Reason.ROW_INSERTED,
            "the log's head names no act (it is missing or was reset)",
        )
    return Break(
        *CHAIN,
        last["id"],
        Reason.ROW_MISSING,
        f"the log's last act was row {last_id}: the acts after this one are missing",
    )


def verify_admin_log(connection: Connection) -> LogVerdict:
    """The number of acts and the first break of the log, if any."""
    table = AdminAct.__table__
    rows = list(connection.execute(select(table).order_by(table.c.id)).mappings())
    head_table = AdminActHead.__table__
    head = (
        connection.execute(select(head_table).where(head_table.c.id == HEAD_ID)).mappings().first()
    )
    broken = first_link_break(rows, CHAIN, _hash_matches) or _ending_break(rows, head)
    return LogVerdict(acts=len(rows), broken=broken)
