"""Recording every change of a case as a change_event row, by a session hook, so no operation
can forget it (the one door writes cases and history rows; this watches what it flushes).

- A history row (history.CaseTransition) is a `case.transitioned` event, or `case.created`
  when it has no `from_state`: written in the flush that writes the row.
- A case row (history.CaseRecord) updated without a history row is a `case.updated` event.
  An operation may flush a case several times: its updates are gathered and written once,
  before the next event of the transaction or at the commit (merged: the fields changed, the
  version and state at the end). An update that only moved the state (the transition's own,
  flushed early) is no event of its own.

Each write is one INSERT (many rows at once) on the flush's connection; what it returns goes
to the registered hooks (webhooks write their deliveries in the same transaction). A hook may
name a condition (`only_if`, SQL): the INSERT returns it too, and the hook runs only when it
holds, so a hook with nothing to do (no active webhook) costs no round trip of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Text,
    bindparam,
    cast,
    event,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..history import CaseRecord, CaseTransition
from ..models_base import utcnow
from ..subjects import kind_named, kind_of
from .actor import acting_user
from .models import CREATED, TRANSITIONED, UPDATED, ChangeEvent
from .writes import Write

PENDING_KEY = "change_events_pending_updates"
# Bookkeeping every write moves: not "what changed" (updated_at alone: the case's contents).
BOOKKEEPING = frozenset({"version", "updated_at"})
# What a transition itself changes on the case row.
# (`submitted_at` is stamped by a transition its definition declares `submission`.)
TRANSITION_FIELDS = frozenset({"state", "state_entered_at", "due_at", "submitted_at"})
CONTENTS = "contents"
PARTS_KEY = "change_events_parts_written"

# hook(connection, events): the rows just inserted, each with its id.
Recorded = Callable[[Connection, list[dict[str, Any]]], None]
_recorded: list[tuple[Recorded, ColumnElement[bool] | None]] = []


def on_recorded(hook: Recorded | None = None, *, only_if: ColumnElement[bool] | None = None) -> Any:
    """Register `hook` to run, in the writing transaction, after each batch of events; with
    `only_if`, only when that condition (read by the INSERT itself) holds."""

    def register(hook: Recorded) -> Recorded:
        _recorded.append((hook, only_if))
        return hook

    return register(hook) if hook is not None else register


@dataclass
class _Update:
    case: Any
    changed: set[str] = field(default_factory=set)
    actor_id: int | None = None


_PG_TXID = cast(cast(func.pg_current_xact_id(), Text), BigInteger)


def _txid(connection: Connection) -> Any:
    """The writing transaction's id on PostgreSQL (the feed serves an event only once every
    transaction that began before it ended); SQLite serializes writers: 0, the id orders."""
    if connection.dialect.name == "postgresql":
        return _PG_TXID
    return literal(0, BigInteger)


def _changed_fields(case: Any) -> set[str]:
    changed = set()
    for attr in inspect(case).mapper.column_attrs:
        if inspect(case).attrs[attr.key].history.has_changes():
            changed.add(attr.key)
    return changed


def _case_of(session: Session, row: CaseTransition) -> Any:
    model = kind_named(row.subject_kind).model
    return session.identity_map.get(inspect(model).identity_key_from_primary_key([row.subject_id]))


def _current(connection: Connection, row: CaseTransition) -> tuple[int, str]:
    """The version and state of a history row's case that is not in the session."""
    table = kind_named(row.subject_kind).model.__table__
    found = connection.execute(
        select(table.c.version, table.c.state).where(table.c.id == row.subject_id)
    ).one()
    return found.version, found.state


def _transition_event(session: Session, connection: Connection, row: CaseTransition) -> dict:
    case = _case_of(session, row)
    version, state = (case.version, case.state) if case is not None else _current(connection, row)
    data: dict[str, Any] = {"trigger": row.trigger}
    if row.from_state is not None:
        data.update({"from": row.from_state, "to": row.to_state, "comment": row.comment})
    return {
        "type": TRANSITIONED if row.from_state is not None else CREATED,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "version": version,
        "state": state,
        "actor_id": row.actor_id,
        "acting_for_id": row.acting_for_id,
        "occurred_at": row.created_at or utcnow(),
        "data": data,
    }


# The columns of an event (`_transition_event`, `_update_event`), besides its id and txid.
EVENT_COLUMNS = (
    "type",
    "subject_kind",
    "subject_id",
    "version",
    "state",
    "actor_id",
    "acting_for_id",
    "occurred_at",
    "data",
)


def _update_event(update: _Update) -> dict:
    case = update.case
    fields = sorted(update.changed - BOOKKEEPING)
    return {
        "type": UPDATED,
        "subject_kind": kind_of(case).name,
        "subject_id": case.id,
        "version": case.version,
        "state": case.state,
        "actor_id": update.actor_id,
        "acting_for_id": None,
        "occurred_at": utcnow(),
        "data": {"changed": fields or [CONTENTS]},
    }


def _conditions() -> list[ColumnElement[Any]]:
    return [
        condition.label(f"only_if_{n}")
        for n, (_, condition) in enumerate(_recorded)
        if condition is not None
    ]


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = ChangeEvent.__table__
    statement = (
        insert(table)
        .values(txid=_txid(connection))
        .returning(table.c.id, *_conditions(), sort_by_parameter_order=True)
    )
    _written(connection, rows, connection.execute(statement, rows).all())


def _written(connection: Connection, rows: list[dict[str, Any]], returned: list[Any]) -> None:
    """Run the hooks on the events `rows` inserted (`returned`: their ids and conditions, in
    the order of `rows`)."""
    written = [{**row, "id": found[0]} for row, found in zip(rows, returned, strict=True)]
    for n, (hook, condition) in enumerate(_recorded):
        if condition is None or any(found._mapping[f"only_if_{n}"] for found in returned):
            hook(connection, written)


def transition_events(session: Session, rows: list[CaseTransition]) -> list[dict[str, Any]]:
    """The events of history rows written outside a flush (`record_with`), as the flush that
    wrote them would have recorded them: the gathered updates first (an update of a case
    transitioned here that only moved its state dropped), then a transition event per row."""
    transitioned = {(row.subject_kind, row.subject_id) for row in rows}
    connection = session.connection()
    events = _take_pending(session, transitioned)
    return events + [_transition_event(session, connection, row) for row in rows]


def record_with(session: Session, events: list[dict[str, Any]], writes: list[Write]) -> None:
    """Run `writes` (INSERTs or UPDATEs of other tables), then insert `events` (from
    `transition_events`) and run their hooks. On PostgreSQL in one round trip: each write a
    CTE of the statement inserting the events, all on one snapshot (a write does not see
    another's rows; the foreign keys are checked at the statement's end), that statement
    built once per shape. SQLite has no INSERT in a WITH: one statement each, in this
    order."""
    connection = session.connection()
    if not events or connection.dialect.name != "postgresql":
        for write in writes:
            connection.execute(write.statement, write.params)
        _insert(connection, events)
        return
    key = (tuple(write.key for write in writes), len(events), len(_recorded))
    statement = _COMBINED.get(key)
    if statement is None:
        statement = _combine(key, writes, len(events))
    params: dict[str, Any] = {}
    for write in writes:
        params |= write.params
    for n, row in enumerate(events):
        params |= {f"event_{n}_{column}": value for column, value in row.items()}
    # The ids come from the sequence in the order of the events: by id is their order.
    _written(connection, events, connection.execute(statement, params).all())


# The combined statements built (`_combine`), by the writes' keys, the number of events and
# of the hooks registered (their conditions are part of the statement).
_COMBINED: dict[tuple[Any, ...], Any] = {}


def _combine(key: tuple[Any, ...], writes: list[Write], count: int) -> Any:
    """The statement inserting `count` events with `writes` as its CTEs, every value bound
    by name (`event_<n>_<column>`, the writes' own), kept for the next of its shape."""
    table = ChangeEvent.__table__
    # A single-row INSERT per event (a multi-row VALUES has no cache key: compiled each time).
    inserted = [
        insert(table)
        .values(
            {
                column: bindparam(f"event_{n}_{column}", type_=table.c[column].type)
                for column in EVENT_COLUMNS
            }
            | {"txid": _PG_TXID}
        )
        .returning(table.c.id, *_conditions())
        .cte(f"events_{n}")
        for n in range(count)
    ]
    ctes = [
        write.statement.returning(literal_column("1")).cte(f"write_{n}")
        for n, write in enumerate(writes)
    ]
    if count == 1:
        statement = select(inserted[0]).add_cte(*ctes)
    else:
        everything = union_all(*(select(cte) for cte in inserted)).subquery("events")
        statement = select(everything).add_cte(*ctes).order_by(everything.c.id)
    _COMBINED[key] = statement
    return statement


def no_event_of_its_own(session: Session, case: Any, changed: Iterable[str]) -> bool:
    """Whether an UPDATE of the attributes `changed` of `case`, about to be transitioned, is
    no event of its own (written without a flush, this hook does not see it): it changes
    only what a transition does, and no update of the case gathered earlier in the
    transaction would take those fields in."""
    return set(changed) <= TRANSITION_FIELDS | BOOKKEEPING and (
        (type(case), case.id) not in session.info.get(PENDING_KEY, ())
    )


def _pending(session: Session) -> dict[tuple[type, int], _Update]:
    return session.info.setdefault(PENDING_KEY, {})  # type: ignore[no-any-return]


def _take_pending(session: Session, transitioned: set[tuple[str, int]]) -> list[dict]:
    """The gathered updates, as events (an update of a case transitioned in this flush that
    only moved its state is dropped: the transition tells it)."""
    events = []
    for update in session.info.pop(PENDING_KEY, {}).values():
        subject = (kind_of(update.case).name, update.case.id)
        if subject in transitioned and update.changed - BOOKKEEPING <= TRANSITION_FIELDS:
            continue
        events.append(_update_event(update))
    return events


def _note(update: _Update, changed: set[str]) -> None:
    update.changed |= changed
    actor = acting_user()
    update.actor_id = actor.id if actor is not None else update.actor_id


@event.listens_for(db.session, "after_flush")
def _after_flush(session: Session, flush_context: object) -> None:
    history = sorted(
        (row for row in session.new if isinstance(row, CaseTransition)), key=lambda r: r.id
    )
    transitioned = {(row.subject_kind, row.subject_id) for row in history}
    pending = _pending(session)
    for case in session.dirty:
        if not isinstance(case, CaseRecord) or case in session.deleted:
            continue
        changed = _changed_fields(case)
        if not changed:
            continue
        if (kind_of(case).name, case.id) in transitioned and changed - BOOKKEEPING <= (
            TRANSITION_FIELDS
        ):
            continue  # the transition's own change: its history row tells it
        _note(pending.setdefault((type(case), case.id), _Update(case)), changed)
    for model, case_id, part in session.info.pop(PARTS_KEY, ()):
        # A row that is part of a case without moving its version (an evidence file) was
        # written or deleted: its case changed all the same, as the feed tells.
        case = session.get(model, case_id)
        if case is not None:
            _note(pending.setdefault((model, case_id), _Update(case)), {part})
    if not history:
        return
    connection = session.connection()
    rows = _take_pending(session, transitioned)
    rows += [_transition_event(session, connection, row) for row in history]
    _insert(connection, rows)


def record_parts_of(model: type, relationship: str) -> None:
    """Rows of `model` are parts of the case its `relationship` leads to: writing or deleting
    one (an orphan removed from its collection too) is a change of that case."""

    def written(mapper: Any, connection: Connection, target: Any) -> None:
        session = object_session(target)
        if session is None:
            return
        leads_to = mapper.relationships[relationship]
        (column, _), *_ = leads_to.local_remote_pairs
        case_id = getattr(target, mapper.get_property_by_column(column).key)
        parts = session.info.setdefault(PARTS_KEY, [])
        parts.append((leads_to.mapper.class_, case_id, mapper.local_table.name))

    event.listen(model, "after_insert", written)
    event.listen(model, "after_delete", written)


@event.listens_for(db.session, "before_commit")
def _before_commit(session: Session) -> None:
    # The commit flushes what is left only after this hook: flush it now, then write the
    # gathered updates.
    session.flush()
    if session.info.get(PENDING_KEY):
        _insert(session.connection(), _take_pending(session, set()))


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
