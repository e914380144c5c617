"""What a broken chain looks like, and the walk that finds the first broken row of one chain:
shared by the history's chains (verify.py) and the log of administrative acts
(admin_verify.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    CONTENT_CHANGED = "content changed"
    LINK_BROKEN = "link to previous broken"
    ROW_MISSING = "row missing"
    ROW_INSERTED = "row inserted"


@dataclass(frozen=True)
class Break:
    """The first broken row of one chain (`row_id` None: the chain has no row)."""

    chain_kind: str
    chain_id: int
    row_id: int | None
    reason: Reason
    detail: str


Row = Mapping[str, Any]


def first_link_break(
    rows: Sequence[Row], chain: tuple[str, int], hash_matches: Callable[[Row], bool]
) -> Break | None:
    """The first row, in id order, whose own hash does not match (`hash_matches`) or whose
    link does not name the row before it."""
    previous: str | None = None
    seen: set[str] = set()
    for position, row in enumerate(rows):
        stored = row["row_hash"]
        if not hash_matches(row):
            return Break(*chain, row["id"], Reason.CONTENT_CHANGED, "its hash does not match")
        linked = row["prev_hash"]
        if linked != previous:
            if position == 0:
                missing = "the rows before it are missing"
                return Break(*chain, row["id"], Reason.ROW_MISSING, missing)
            if linked is None or linked in seen:
                return Break(
                    *chain,
                    row["id"],
                    Reason.LINK_BROKEN,
                    f"it does not link to row {rows[position - 1]['id']} before it",
                )
            return Break(
                *chain,
                row["id"],
                Reason.ROW_MISSING,
                f"the row it links to, after row {rows[position - 1]['id']}, is missing "
                "or was replaced",
            )
        seen.add(stored)
        previous = stored
    return None
