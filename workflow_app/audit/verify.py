"""Walk every plan's history chain and report, per plan, the first row that breaks it.

A row is checked against its own hash first, then against the row before it:

- content changed: the stored `row_hash` is not the hash of the row's columns and `prev_hash`
  (the row was edited, or its link was rewritten without recomputing the hash);
- link to previous broken: the row hashes correctly but links to another row of the chain than
  the one before it, or starts a chain in the middle (the rows were re-linked or reordered);
- row missing: the row links to a hash no row of the chain has (the row before it was deleted,
  or replaced by one with another hash), the first row links to something (rows before it are
  gone), or the chain ends short of the state its plan or report is in (rows at the end are
  gone; then the last row is named) — a plan or report without any row is missing its first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine, RowMapping

from ..monitoring.models import ProgressReport
from ..plans.models import ActionPlan, PlanTransition
from .chain import row_hash

BATCH = 1000


class Reason(StrEnum):
    CONTENT_CHANGED = "content changed"
    LINK_BROKEN = "link to previous broken"
    ROW_MISSING = "row missing"


@dataclass(frozen=True)
class Break:
    """The first broken row of one plan's chain (`row_id` None: the plan has no row)."""

    plan_id: int
    row_id: int | None
    reason: Reason
    detail: str


@dataclass
class Verdict:
    chains: int = 0
    rows: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _rows_by_plan(connection: Connection) -> Iterator[tuple[int, list[RowMapping]]]:
    table = PlanTransition.__table__
    result = connection.execution_options(yield_per=BATCH).execute(
        select(table).order_by(table.c.plan_id, table.c.id)
    )
    for plan_id, rows in groupby(result.mappings(), key=lambda row: row["plan_id"]):
        yield plan_id, list(rows)


def _first_link_break(rows: list[RowMapping], plan_id: int) -> Break | None:
    previous: str | None = None
    seen: set[str] = set()
    for position, row in enumerate(rows):
        stored = row["row_hash"]
        if stored is None or stored != row_hash(row["prev_hash"], row):
            return Break(plan_id, row["id"], Reason.CONTENT_CHANGED, "its hash does not match")
        linked = row["prev_hash"]
        if linked != previous:
            if position == 0:
                return Break(
                    plan_id, row["id"], Reason.ROW_MISSING, "the rows before it are missing"
                )
            if linked is None or linked in seen:
                return Break(
                    plan_id,
                    row["id"],
                    Reason.LINK_BROKEN,
                    f"it does not link to row {rows[position - 1]['id']} before it",
                )
            return Break(
                plan_id,
                row["id"],
                Reason.ROW_MISSING,
                f"the row it links to, after row {rows[position - 1]['id']}, is missing "
                "or was replaced",
            )
        seen.add(stored)
        previous = stored
    return None


def _last_by_subject(rows: list[RowMapping]) -> dict[int | None, RowMapping]:
    """The last row of the plan's own steps (key None) and of each report's."""
    return {row["report_id"]: row for row in rows}


def _ending_break(
    plan_id: int,
    rows: list[RowMapping],
    plan_state: str,
    report_states: dict[int, str],
) -> Break | None:
    """Rows cut off the end leave every link intact; the subjects' states give them away."""
    last = _last_by_subject(rows)
    subjects: list[tuple[int | None, str, str]] = [(None, plan_state, "the plan")]
    subjects += [(rid, state, f"report {rid}") for rid, state in sorted(report_states.items())]
    for report_id, state, name in subjects:
        ending = last.get(report_id)
        if ending is None:
            return Break(plan_id, None, Reason.ROW_MISSING, f"{name} has no history row")
        if ending["to_state"] != state:
            return Break(
                plan_id,
                rows[-1]["id"],
                Reason.ROW_MISSING,
                f"{name} is in state {state} but its history ends in {ending['to_state']}: "
                "rows after it are missing",
            )
    return None


def _subjects(connection: Connection) -> tuple[dict[int, str], dict[int, dict[int, str]]]:
    plans = {
        plan_id: state
        for plan_id, state in connection.execute(select(ActionPlan.id, ActionPlan.state))
    }
    reports: dict[int, dict[int, str]] = {}
    found = connection.execute(
        select(ProgressReport.plan_id, ProgressReport.id, ProgressReport.state)
    )
    for plan_id, report_id, state in found:
        reports.setdefault(plan_id, {})[report_id] = state
    return plans, reports


def verify_chains(connection: Connection) -> Verdict:
    """Check every plan's chain; the verdict counts chains and rows and lists the breaks."""
    plans, reports = _subjects(connection)
    verdict = Verdict(chains=len(plans))
    chained: set[Any] = set()
    for plan_id, rows in _rows_by_plan(connection):
        chained.add(plan_id)
        verdict.rows += len(rows)
        found = _first_link_break(rows, plan_id)
        if found is None and plan_id in plans:
            found = _ending_break(plan_id, rows, plans[plan_id], reports.get(plan_id, {}))
        if found is not None:
            verdict.breaks.append(found)
    for plan_id in sorted(set(plans) - chained):
        verdict.breaks.append(Break(plan_id, None, Reason.ROW_MISSING, "the plan has no history"))
    verdict.breaks.sort(key=lambda b: b.plan_id)
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
