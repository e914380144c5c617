"""The one door for firing a transition on any case, whatever its kind or whoever fires it
(the web, the API, the CLI, beat, the demo data).

`fire` checks scope, trigger, role, state, comment and version (engine.access.authorize), then
fires the trigger on the definition version's shared `transitions` machine, which checks the
guards (its conditions) and calls back here around the change (engine/machine.py). The
callbacks do every side effect, in the caller's transaction: the case's due time, the history
row, the escalation steps of the state left and entered, the registered hooks (features add
theirs: a submission snapshot, a submission time) and the outbox rows of the people concerned.
A refusal raises a TransitionRefused subclass before anything changed.

Round trips (issue 17): what the transition reads before the change is one query (who did the
triggers it must be kept apart from, the calendar, the holders told). The case's UPDATE runs
first (its version checked; a Core statement rather than a flush, see _update_case), then the
history row is linked into its chain and written with the steps' writes, the hooks' (a
submission's snapshot) and the change's events: one statement on PostgreSQL (CTEs, see
changes.recording.record_with).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    Table,
    Update,
    bindparam,
    inspect,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .accounts.models import User
from .changes.recording import no_event_of_its_own, record_with, transition_events
from .changes.writes import Write
from .deadlines.calendar_store import OVERRIDES, calendar_of
from .deadlines.scheduling import due_time, schedule_steps, steps_writes
from .engine import (
    DutiesNotSeparated,
    Grant,
    GuardFailed,
    OutOfScope,
    StaleObject,
    TransitionDef,
    WorkflowDefinition,
    authorize,
    guards,
)
from .engine.guards import Problem
from .extensions import db
from .history import CaseTransition, linked_insert, new_history_row
from .models_base import utcnow
from .notifications.events import notify_opened, notify_transition, told_of
from .notifications.outbox import RECIPIENT_COLUMNS, Recipient
from .notifications.recipients import holders_among, holders_params, holders_rows
from .subjects import CaseKind, kind_of
from .unit_of_work import STALE_MESSAGE
from .workflows import definition_of, machine_of, roles


@dataclass
class Fired:
    """A transition as it happens, handed to the hooks."""

    case: Any
    kind: CaseKind
    transition: TransitionDef
    actor: User
    record: CaseTransition | None = None  # None while the `entering` hooks run
    # What the `writing` hooks add to the statement that writes the history row.
    writes: list[Write] = field(default_factory=list)


Hook = Callable[[Fired], None]


@dataclass
class _Hooks:
    # Set the case's own fields on entering the new state, before the history row is written.
    entering: list[tuple[str | None, Hook]] = field(default_factory=list)
    # The history row linked (its id taken), not written: add writes (`Fired.writes`) to the
    # statement that writes it, rather than a statement of their own.
    writing: list[tuple[str | None, Hook]] = field(default_factory=list)
    # After the history row and the deadlines, before the emails.
    fired: list[tuple[str | None, Hook]] = field(default_factory=list)

    def run(self, which: list[tuple[str | None, Hook]], event: Fired) -> None:
        for kind, hook in which:
            if kind is None or kind == event.kind.name:
                hook(event)


_hooks = _Hooks()


def on_entering(hook: Hook, *, kind: str | None = None) -> Hook:
    """Register `hook` to run as a case (of `kind`, or any) enters its new state."""
    _hooks.entering.append((kind, hook))
    return hook


def on_writing(hook: Hook, *, kind: str | None = None) -> Hook:
    """Register `hook` to add its writes (`Fired.writes`, each a changes.writes.Write) to the
    statement that writes a transition's history row: on PostgreSQL no round trip of their
    own. The row's id is taken; the row itself is not written yet (nothing may read it)."""
    _hooks.writing.append((kind, hook))
    return hook


def on_fired(hook: Hook, *, kind: str | None = None) -> Hook:
    """Register `hook` to run once a transition's history row and deadlines are written."""
    _hooks.fired.append((kind, hook))
    return hook


def flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleObject(STALE_MESSAGE) from exc


@cache
def _case_update(table: Table, keys: frozenset[str]) -> Update:
    """A case's UPDATE of the columns `keys` (bound as `case_<key>`), its version checked and
    moved as the ORM's (`version_id_col`), built once per table and set of columns."""
    return (
        update(table)
        .where(table.c.id == bindparam("case_id"), table.c.version == bindparam("case_version"))
        .values(
            {key: bindparam(f"case_{key}", type_=table.c[key].type) for key in sorted(keys)}
            | {"version": bindparam("case_new_version", type_=table.c.version.type)}
        )
    )


@cache
def _on_update(table: Table) -> tuple[tuple[str, Callable[[Any], Any]], ...] | None:
    """The columns a flush stamps on every UPDATE (`onupdate`, a Python callable); None when
    one is stamped otherwise (SQL): only a flush writes such a table."""
    stamped = []
    for column in table.c:
        default = column.onupdate
        if default is not None:
            if not default.is_callable:
                return None
            stamped.append((column.key, default.arg))  # type: ignore[attr-defined]
    return tuple(stamped)


def _update_case(case: Any) -> None:
    """The case's UPDATE, its version checked (a lost race stops here, nothing written). One
    Core statement when the case's own columns are all the session has to write: the ORM's
    flush cost a transition more than the statement (issue 17). Anything else pending (rows
    added or deleted, a collection changed, another object, a field no transition sets, an
    update of the case the change feed gathered): a flush, as before."""
    session = db.session
    state = inspect(case)
    mapper = state.mapper
    table = mapper.local_table
    changed = state.committed_state.keys()  # the attributes set since the case was loaded
    columns = mapper.columns
    stamps = _on_update(table)
    if (
        stamps is None
        or session.new
        or session.deleted
        or len(session.dirty) != 1
        or "version" in changed
        or not no_event_of_its_own(session, case, changed)  # the flush's hook records it
        or not all(
            key in columns and columns[key].table is table and columns[key].key == key
            for key in changed
        )
    ):
        flush()
        return
    values = {key: state.dict[key] for key in changed}
    for key, stamp in stamps:
        if key not in values:
            values[key] = stamp(None)
    version = case.version
    params = {f"case_{key}": value for key, value in values.items()}
    params |= {"case_id": case.id, "case_version": version, "case_new_version": version + 1}
    result = session.connection().execute(_case_update(table, frozenset(values)), params)
    if result.rowcount != 1:
        raise StaleObject(STALE_MESSAGE)
    for key in (*values, "version"):
        set_committed_value(case, key, values.get(key, version + 1))
    # As a flush leaves a written object: nothing pending, not in the session's dirty set.
    state._commit_all(state.dict, session.identity_map)


def _earlier_actors(case: Any, kind: CaseKind, triggers: tuple[str, ...]) -> set[int]:
    """Who fired any of `triggers` on this case before (the person, whoever they acted for)."""
    if not triggers:
        return set()
    query = select(CaseTransition.actor_id).where(
        CaseTransition.subject_is(kind.name, case.id), CaseTransition.trigger.in_(triggers)
    )
    return set(db.session.scalars(query))


def _guard_problems(case: Any, kind: CaseKind, transition: TransitionDef) -> list[Problem]:
    """What blocks `transition` on `case`: its named guards' and its declared checks'."""
    guards.load(transition.guards, case)
    return [
        problem for name in transition.guards for problem in guards.get(name)(case)
    ] + kind.requirements(case, transition)


def _check_duties(
    case: Any,
    kind: CaseKind,
    transition: TransitionDef,
    actor: User,
    earlier: set[int] | None = None,
) -> None:
    """Refuse `actor` who did an earlier trigger the transition must be kept apart from
    (`earlier`: who did them, when the caller has read it already)."""
    if earlier is None:
        earlier = _earlier_actors(case, kind, transition.actor_differs_from)
    if actor.id in earlier:
        raise DutiesNotSeparated(
            f"{transition.trigger!r} must be done by someone other than whoever did "
            f"{', '.join(repr(t) for t in transition.actor_differs_from)} on this case"
        )


# The columns of the one read before a change (`_read_before_change`): a holder's (of the
# roles told) that the outbox writes from (RECIPIENT_COLUMNS: plain rows, no User built for
# them, issue 17), then the grant's role and region code, a calendar override's day and
# whether it is a holiday, an earlier actor's id. Each part fills its own, NULL the rest.
_EXTRA = (
    ("role", String(40)),
    ("code", String(10)),
    ("day", Date()),
    ("is_holiday", Boolean()),
    ("actor_id", Integer()),
)


def _padded(filled: dict[str, Any]) -> list[Any]:
    holder_columns = [(name, User.__table__.c[name].type) for name in RECIPIENT_COLUMNS]
    return [
        filled[name].label(name) if name in filled else null().cast(type_).label(name)
        for name, type_ in (*holder_columns, *_EXTRA)
    ]


@cache
def _reads_query(actors: bool, overrides: bool, holders: bool) -> Any:
    """Who did the earlier triggers, the calendar's overrides and the holders told, as one
    UNION ALL (one round trip), built once per combination of the parts needed."""
    parts = []
    if holders:
        found = holders_rows().subquery()
        parts.append(
            select(*_padded({name: found.c[name] for name in (*RECIPIENT_COLUMNS, "role", "code")}))
        )
    if overrides:
        calendar = OVERRIDES.subquery()
        parts.append(select(*_padded({"day": calendar.c.day, "is_holiday": calendar.c.is_holiday})))
    if actors:
        earlier = select(CaseTransition.actor_id).where(
            CaseTransition.subject_kind == bindparam("subject_kind"),
            CaseTransition.subject_id == bindparam("subject_id"),
            CaseTransition.trigger.in_(bindparam("triggers", expanding=True)),
        )
        parts.append(select(*_padded({"actor_id": earlier.subquery().c.actor_id})))
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return select(rows).order_by(rows.c.id)


@dataclass
class _Before:
    """What a transition reads before it changes anything."""

    earlier: set[int]
    calendar: Any | None
    holders: list[Recipient]


def _read_before_change(
    case: Any, kind: CaseKind, definition: WorkflowDefinition, transition: TransitionDef
) -> _Before:
    """Who did the triggers `transition` must be kept apart from, the calendar (when the
    state entered has a deadline) and the holders of the roles its emails go to, in one
    query: the holders do not change with the case, so they are read before it does."""
    triggers = transition.actor_differs_from
    deadline = transition.dest in definition.deadlines
    roles = told_of(case, transition)
    if not (triggers or deadline or roles):
        return _Before(set(), None, [])
    scope = kind.scope_of(case)
    params = holders_params(roles, scope) if roles else {}
    if triggers:
        params |= {"subject_kind": kind.name, "subject_id": case.id, "triggers": list(triggers)}
    query = _reads_query(bool(triggers), deadline, bool(roles))
    earlier: set[int] = set()
    overrides: list[tuple[Any, bool]] = []
    found: list[tuple[Recipient, str, str]] = []
    for row in db.session.execute(query, params):
        if row.id is not None:  # a holder: the row carries what the outbox writes
            found.append((row, row.role, row.code))
        elif row.day is not None:
            overrides.append((row.day, row.is_holiday))
        elif row.actor_id is not None:
            earlier.add(row.actor_id)
    return _Before(
        earlier, calendar_of(overrides) if deadline else None, holders_among(found, scope)
    )


@dataclass
class _Carrier:
    """What the shared machine fires on: the case's state, and the door's work around it."""

    case: Any
    kind: CaseKind
    definition: WorkflowDefinition
    actor: User
    grant: Grant
    comment: str | None
    problems: list[Problem] = field(default_factory=list)
    record: CaseTransition | None = None
    calendar: Any | None = None  # read before the change: a query would flush it half done
    holders: list[Recipient] = field(default_factory=list)  # of the roles told, read before too

    @property
    def state(self) -> str:
        return self.case.state

    @state.setter
    def state(self, value: str) -> None:
        self.case.state = value

    def guards_pass(self, transition: TransitionDef) -> bool:
        self.problems = _guard_problems(self.case, self.kind, transition)
        return not self.problems

    def leaving(self, transition: TransitionDef) -> None:
        before = _read_before_change(self.case, self.kind, self.definition, transition)
        _check_duties(self.case, self.kind, transition, self.actor, before.earlier)
        self.calendar, self.holders = before.calendar, before.holders

    def entered(self, transition: TransitionDef, from_state: str) -> None:
        case, now, calendar = self.case, utcnow(), self.calendar
        to_state = case.state
        event = Fired(case, self.kind, transition, self.actor)
        # One UPDATE of the case (one version step): nothing may flush it half changed.
        with db.session.no_autoflush:
            case.state_entered_at = now
            case.due_at = due_time(self.definition, to_state, now, calendar) if calendar else None
            _hooks.run(_hooks.entering, event)
        self.record = event.record = record = self._new_history_row(transition, from_state, now)
        # The same transaction, in one statement on PostgreSQL: the history row, the deadline
        # of the state left dropped, the new one's steps, the writing hooks' writes (a
        # submission's snapshot), the change's events. Then the hooks run and the people
        # concerned are written into the outbox.
        history = linked_insert(db.session, record, root_updated=True)  # by _new_history_row
        steps = steps_writes(
            self.definition,
            kind=self.kind.name,
            subject_id=case.id,
            entry_id=record.id,
            state=to_state,
            due_at=case.due_at,
            calendar=calendar,
        )
        _hooks.run(_hooks.writing, event)
        writes = [history, *steps, *event.writes]
        record_with(db.session, transition_events(db.session, [record]), writes)
        _hooks.run(_hooks.fired, event)
        notify_transition(case, transition, self.record, self.actor, self.holders)

    def _new_history_row(
        self, transition: TransitionDef, from_state: str, now: datetime
    ) -> CaseTransition:
        """The transition's history row, linked into its chain (its id taken), not written:
        first the case's UPDATE, its version checked (a lost race stops here)."""
        _update_case(self.case)
        record = new_history_row(
            self.case,
            workflow_version=self.case.workflow_version,
            from_state=from_state,
            to_state=self.case.state,
            trigger=transition.trigger,
            actor_id=self.actor.id,
            acting_for_id=self.grant.acting_for,
            role=self.grant.role,
            comment=(self.comment or "").strip() or None,
            created_at=now,
        )
        return record


def fire(
    actor: User,
    case: Any,
    trigger: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
) -> CaseTransition:
    """Fire `trigger` on `case` as `actor`; the history row written. Raises TransitionRefused
    subclasses; a refusal changes nothing."""
    kind = kind_of(case)
    if not kind.visible_to(actor, case):
        raise OutOfScope("not found")
    definition = definition_of(case)
    _, grant = authorize(
        definition, case.state, trigger, actor.grants(), kind.scope_of(case), roles(), comment
    )
    if expected_version is not None and expected_version != case.version:
        raise StaleObject(STALE_MESSAGE)
    carrier = _Carrier(case, kind, definition, actor, grant, comment)
    if not machine_of(case).fire(carrier, trigger):
        raise GuardFailed(kind.incomplete, carrier.problems)
    assert carrier.record is not None
    flush()
    return carrier.record


def check(
    actor: User, case: Any, trigger: str, *, expected_version: int | None = None
) -> TransitionDef:
    """What `fire` would refuse, in the same order and with the same errors, without firing:
    a page that asks before firing (a confirmation) is refused exactly as the action itself.
    The comment is not checked: that page is where it is written."""
    kind = kind_of(case)
    if not kind.visible_to(actor, case):
        raise OutOfScope("not found")
    transition, _ = authorize(
        definition_of(case),
        case.state,
        trigger,
        actor.grants(),
        kind.scope_of(case),
        roles(),
        check_comment=False,
    )
    if expected_version is not None and expected_version != case.version:
        raise StaleObject(STALE_MESSAGE)
    problems = _guard_problems(case, kind, transition)
    if problems:
        raise GuardFailed(kind.incomplete, problems)
    _check_duties(case, kind, transition, actor)
    return transition


def record_opening(
    actor: User,
    case: Any,
    *,
    trigger: str,
    role: str,
    calendar: Any | None = None,
    notify: bool = False,
) -> CaseTransition:
    """The first history row of a case just added (and flushed) in its initial state, with
    its escalation steps when it entered with a due time (`calendar` counts them) and, with
    `notify`, the emails telling the owners of that state."""
    definition = definition_of(case)
    record = new_history_row(
        case,
        workflow_version=case.workflow_version,
        from_state=None,
        to_state=case.state,
        trigger=trigger,
        actor_id=actor.id,
        role=role,
        created_at=utcnow(),
    )
    db.session.add(record)
    flush()
    if calendar is not None and case.due_at is not None:
        schedule_steps(
            definition,
            kind=kind_of(case).name,
            subject_id=case.id,
            entry_id=record.id,
            state=case.state,
            due_at=case.due_at,
            calendar=calendar,
        )
    if notify:
        notify_opened(case)
    flush()
    return record
