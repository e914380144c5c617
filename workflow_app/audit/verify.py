"""Walk every history chain and report, per chain, the first row that breaks it; then the log
of administrative acts (admin_verify.py).

A row is checked against its own hash first, then against the row before it:

- content changed: the stored `row_hash` is not the hash of the row's columns and `prev_hash`
  (the row was edited, or its link was rewritten without recomputing the hash);
- link to previous broken: the row hashes correctly but links to another row of the chain than
  the one before it, or starts a chain in the middle (the rows were re-linked or reordered);
- row missing: the row links to a hash no row of the chain has (the row before it was deleted,
  or replaced by one with another hash), the first row links to something (rows before it are
  gone), or the chain ends short of the state one of its cases is in (rows at the end are
  gone; then the last row is named) — a case without any row is missing its first.

Which cases exist, and which chain each joins, comes from the registered kinds of case
(subjects.py): every case is checked, whatever its kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine, RowMapping

from ..history import CaseTransition
from ..subjects import case_kinds
from .admin_verify import verify_admin_log
from .chain import row_hash
from .links import Break, Reason, first_link_break

BATCH = 1000


@dataclass
class Verdict:
    chains: int = 0
    rows: int = 0
    acts: int = 0  # in the log of administrative acts
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


Chain = tuple[str, int]
Case = tuple[str, int]  # (kind, id)


def _rows_by_chain(connection: Connection) -> Iterator[tuple[Chain, list[RowMapping]]]:
    table = CaseTransition.__table__
    result = connection.execution_options(yield_per=BATCH).execute(
        select(table).order_by(table.c.chain_kind, table.c.chain_id, table.c.id)
    )
    for chain, rows in groupby(
        result.mappings(), key=lambda row: (row["chain_kind"], row["chain_id"])
    ):
        yield chain, list(rows)


def _hash_matches(row: RowMapping) -> bool:
    try:
        return row["row_hash"] is not None and row["row_hash"] == row_hash(row["prev_hash"], row)
    except KeyError:  # a canonical form nobody wrote
        return False


def _name(case: Case, chain: Chain) -> str:
    return f"the {case[0]}" if case == chain else f"{case[0]} {case[1]}"


def _ending_break(chain: Chain, rows: list[RowMapping], states: dict[Case, str]) -> Break | None:
    """Rows cut off the end leave every link intact; the cases' states give them away."""
    last = {(row["subject_kind"], row["subject_id"]): row for row in rows}
    # The chain's root first, then its other cases in order.
    for case in sorted(states, key=lambda case: (case != chain, case)):
        state = states[case]
        ending = last.get(case)
        if ending is None:
            missing = f"{_name(case, chain)} has no history row"
            return Break(*chain, None, Reason.ROW_MISSING, missing)
        if ending["to_state"] != state:
            return Break(
                *chain,
                rows[-1]["id"],
                Reason.ROW_MISSING,
                f"{_name(case, chain)} is in state {state} but its history ends in "
                f"{ending['to_state']}: rows after it are missing",
            )
    return None


def _cases_by_chain(connection: Connection) -> dict[Chain, dict[Case, str]]:
    """Every case of every registered kind, with its state, under the chain it joins."""
    chains: dict[Chain, dict[Case, str]] = {}
    for kind in case_kinds():
        table = kind.model.__table__
        # A kind's chain root is computed from the case's own columns (chain_of reads only
        # attributes such as `id` or a parent's id), so rows of the table will do.
        for case in connection.execute(select(table).where(kind.rows_where())).mappings():
            proxy = _RowCase(case)
            chain = kind.chain(proxy)
            chains.setdefault(chain, {})[(kind.name, case["id"])] = case["state"]
    return chains


class _RowCase:
    """A table row read as attributes, for a kind's `chain_of`."""

    def __init__(self, row: RowMapping) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None


def verify_chains(connection: Connection) -> Verdict:
    """Check every chain, the log of administrative acts too; the verdict counts chains, rows
    and acts and lists the breaks (the log's last)."""
    cases = _cases_by_chain(connection)
    roots = {chain for chain in cases if chain in cases[chain]}
    verdict = Verdict(chains=len(roots))
    chained: set[Chain] = set()
    for chain, rows in _rows_by_chain(connection):
        chained.add(chain)
        verdict.rows += len(rows)
        found = first_link_break(rows, chain, _hash_matches)
        if found is None and chain in cases:
            found = _ending_break(chain, rows, cases[chain])
        if found is not None:
            verdict.breaks.append(found)
    for chain in sorted(set(cases) - chained):
        verdict.breaks.append(
            Break(*chain, None, Reason.ROW_MISSING, f"the {chain[0]} has no history")
        )
    verdict.breaks.sort(key=lambda b: (b.chain_kind, b.chain_id))
    log = verify_admin_log(connection)
    verdict.acts = log.acts
    if log.broken is not None:
        verdict.breaks.append(log.broken)
    return verdict


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent state of the database: otherwise a step committed
    between reading the plans' states and their rows would look like rows cut off the end."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":
                # pysqlite opens no transaction for reads; in WAL mode this one holds a snapshot.
                connection.exec_driver_sql("BEGIN")
            yield connection


def verify_database(engine: Engine) -> Verdict:
    with snapshot(engine) as connection:
        return verify_chains(connection)
