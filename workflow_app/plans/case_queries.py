"""Queries for every kind of case (plans, progress reports): the states of a workflow with a
property, the earliest-due-first order, the page of cases waiting for a user ("My tasks") and
the open cases of the regions a user oversees. plans/queries.py and monitoring/queries.py call
these with their kind; who may see a case is `policy.visible`, never a rule of its own here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Select, select

from .. import policy
from ..accounts.models import User
from ..engine import StateDef, TransitionDef
from ..extensions import db
from ..paging import Page, first_accepted
from ..subjects import kind_named
from ..workflows import definitions_of, registry, roles

Task = TypeVar("Task")
Built = TypeVar("Built")
Shape = Callable[[Select[Any]], Select[Any]]


# --- statements built once per user's grants ---------------------------------------------

# A user's list is the same SQL on every visit with the same grants: building it (the
# visibility, the joins, the order) and computing its cache key cost more than running it.
# Kept by everything it is made of; the role catalogue and the definitions (the published
# and final states) by identity, pinned with the statement, so a reloaded registry is never
# answered for by the one it replaced (as cases.queries._probe does). A statement with its
# cache key weighs ~35 KiB: at most 256 (a few lists per user seen lately).
_STATEMENTS: dict[tuple[Any, ...], tuple[object, Any]] = {}
_STATEMENTS_KEPT = 256


def kept_statement(user: User, key: tuple[Any, ...], build: Callable[[], Built]) -> Built:
    """The statement `build` makes for `user`, built once per `key` (what it is made of
    besides the user and their grants: the kind, the shape functions, ...)."""
    pins = registry()
    grants = tuple((grant.role, grant.region_code) for grant in user.grants())
    full = (*key, user.id, grants, id(pins))
    found = _STATEMENTS.get(full)
    if found is not None and found[0] is pins:
        return found[1]  # type: ignore[no-any-return]
    statement = build()
    if len(_STATEMENTS) >= _STATEMENTS_KEPT:
        _STATEMENTS.clear()
    _STATEMENTS[full] = (pins, statement)
    return statement


def core_rows(statement: Select[Any]) -> Sequence[Row[Any]]:
    """The rows of `statement` run as Core on the session's connection (for a statement of
    columns: the ORM's execution costs more than making the rows from them)."""
    session = db.session
    if session.autoflush:
        session.flush()  # as `session.execute` would: a pending change is read
    return session.connection().execute(statement).all()


def state_names(workflow: str, keep: Callable[[StateDef], bool] = lambda state: True) -> set[str]:
    """Names of the states, in any loaded version of `workflow`, for which `keep` holds."""
    return {
        name
        for definition in definitions_of(workflow)
        for name, state in definition.states.items()
        if keep(state)
    }


def earliest_due_first(query: Select[Any], model: Any, *then: Any) -> Select[Any]:
    """`query` ordered by deadline, the cases without one last, then by `then` and the id."""
    # `IS NULL` sorts the cases without a deadline last on SQLite and PostgreSQL alike.
    return query.order_by(model.due_at.is_(None), model.due_at, *then, model.id)


def waiting_states(workflow: str, held: set[str], published_waits: bool = True) -> set[str]:
    """The states of `workflow` that wait on a holder of one of the `held` roles: owned by one,
    never final, and not published unless `published_waits`."""

    def waits(state: StateDef) -> bool:
        return state.owner in held and not state.final and (published_waits or not state.published)

    return state_names(workflow, waits)


def kinds_with_tasks(user: User, kinds: list[str]) -> set[str]:
    """Which of `kinds` have a case `user` may see in a state waiting on one of their roles:
    one statement of EXISTS for all, so the kinds with none (often all: the declared kinds)
    cost no query of their own."""
    held = {g.role for g in user.grants()}
    probes = {}
    for kind in kinds:
        found = kind_named(kind)
        states = waiting_states(found.workflow, held)
        if states:
            query = policy.visible(user, kind).where(found.model.state.in_(states))
            probes[kind] = query.exists()
    if not probes:
        return set()
    row = db.session.execute(select(*probes.values())).one()
    return {kind for kind, present in zip(probes, row, strict=True) if present}


def task_page(
    user: User,
    kind: str,
    limit: int | None,
    task: Callable[[Any, list[TransitionDef]], Task],
    shape: Shape,
    *,
    published_waits: bool = True,
) -> Page[Task]:
    """The cases of `kind` in a state the user owns (in the case's scope) on which the user
    can act now, as `task(case, actions)`, in the order of `shape` (which may also load
    related rows). Owned states wait for someone: never final, and not published unless
    `published_waits`. Read in batches until `limit` are found; the total is counted in SQL."""
    found = kind_named(kind)
    grants = user.grants()
    states = waiting_states(found.workflow, {g.role for g in grants}, published_waits)
    if not states:
        return Page()
    query = shape(policy.visible(user, kind).where(found.model.state.in_(states)))

    # Rows fall into a few (version, state, place) shapes: each is asked of the policy once.
    answers: dict[tuple[Any, ...], list[TransitionDef]] = {}

    def as_task(case: Any) -> Task | None:
        shape = (case.workflow_name, case.workflow_version, case.state, found.scope_of(case))
        actions = answers.get(shape)
        if actions is None:
            actions = answers[shape] = policy.actions_if_owner(user, case, grants)
        return task(case, list(actions)) if actions else None

    return first_accepted(query, as_task, limit)


def overseen_cases(
    user: User,
    kind: str,
    in_regions: Callable[[Select[Any], set[str]], Select[Any]],
    shape: Shape,
    row: Callable[[Sequence[Any]], Any] | None = None,
) -> list[Any]:
    """For a holder of an overseeing role (the district head): the cases of `kind` in its
    regions (`in_regions` narrows a query to the region codes) not yet in a final state, in
    the order of `shape`. The statement is built once per user's grants (`kept_statement`;
    `in_regions` and `shape` are part of its key: pass functions defined once, not lambdas).
    `row`: for a `shape` that selects columns (no joined eager load: no row repeats), the
    statement runs as Core and `row` makes a case of each result row's values."""
    overseeing = roles().overseeing()
    regions = {g.region_code for g in user.grants() if g.role in overseeing}
    if not regions:
        return []

    def build() -> Select[Any]:
        found = kind_named(kind)
        final_states = state_names(found.workflow, lambda state: state.final)
        query = in_regions(policy.visible(user, kind), regions)
        return shape(query.where(found.model.state.not_in(final_states)))

    statement = kept_statement(user, ("overseen", kind, in_regions, shape), build)
    if row is not None:
        return [row(values) for values in core_rows(statement)]
    # A shape loading related rows by a join repeats a case per related row.
    return list(db.session.scalars(statement).unique())
