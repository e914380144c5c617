"""The plans of "My tasks" read as plain rows, for the page alone.

Each task of the list was an ActionPlan with its region and the region's province, three ORM
objects per row (identity map, attribute instrumentation, the timezone type on every date
column): most of the list's cost. The page reads only a few columns of each, so here one
statement selects those, as `PlanRow`s. The API and the feeds keep `queries.my_task_page`
(ORM objects). The policy finds a row's kind by `declared_kind`; the confirmation page of an
action is registered for `PlanRow` too (views.py), as `confirmation_of` looks by type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func
from sqlalchemy.orm import Bundle, aliased

from .. import policy
from ..accounts.models import User
from ..engine import TransitionDef
from ..paging import Page
from ..regions.models import Region
from ..subjects import kind_named
from .case_queries import (
    Shape,
    core_rows,
    earliest_due_first,
    kept_statement,
    overseen_cases,
    waiting_states,
)
from .models import PLAN_KIND_NAME, ActionPlan
from .queries import TASKS_SHOWN, Task

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class RowRegion:
    """What a row shows of its region, and what its scope needs (policy.region_scope)."""

    name: str
    code: str
    province_code: str


@dataclass(frozen=True, slots=True)
class PlanRow:
    """The columns of a plan the page and the policy read (the same names as ActionPlan's)."""

    id: int
    title: str
    region: RowRegion
    period_start: int
    period_end: int
    workflow_name: str
    workflow_version: int
    state: str
    state_entered_at: datetime
    due_at: datetime | None
    version: int
    # subjects.kind_of finds a case's kind by this name before its Python type: the policy
    # answers for a row as for the plan it is.
    declared_kind: str = PLAN_KIND_NAME

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"


def _plan_row(values: Sequence[Any]) -> PlanRow:
    """A `PlanRow` of the values of `_COLUMNS`, in their order."""
    (id_, title, name, code, parent, start, end, flow, flow_v, state, entered, due, v) = values
    place = RowRegion(name, code, code if parent is None else parent)
    return PlanRow(id_, title, place, start, end, flow, flow_v, state, entered, due, v)


class _PlanRows(Bundle[Any]):
    """The columns below, each result row made a `PlanRow` (read through the ORM)."""

    def create_row_processor(self, query: Any, procs: Any, labels: Any) -> Any:
        def make(row: Any) -> PlanRow:
            return _plan_row([proc(row) for proc in procs])

        return make


# Built once: an alias or bundle made per request costs more than the ORM objects it saves.
_REGION, _PROVINCE = aliased(Region), aliased(Region)
_COLUMNS = _PlanRows(
    "plan",
    ActionPlan.id,
    ActionPlan.title,
    _REGION.name,
    _REGION.code,
    _PROVINCE.code,
    ActionPlan.period_start,
    ActionPlan.period_end,
    ActionPlan.workflow_name,
    ActionPlan.workflow_version,
    ActionPlan.state,
    ActionPlan.state_entered_at,
    ActionPlan.due_at,
    ActionPlan.version,
)


def _selected(query: Any) -> Any:
    """`query` (of ActionPlan) selecting `PlanRow`s."""
    return (
        query.with_only_columns(_COLUMNS)
        .select_from(ActionPlan)
        .join(_REGION, ActionPlan.region_id == _REGION.id)
        .outerjoin(_PROVINCE, _REGION.parent_id == _PROVINCE.id)
    )


def _plan_rows(query: Any) -> Any:
    """`query` (of ActionPlan) selecting `PlanRow`s, in the task list's order."""
    return earliest_due_first(_selected(query), ActionPlan, ActionPlan.state_entered_at)


def overseen_plans_as_rows(user: User) -> list[PlanRow]:
    """`queries.overseen_plans` for the page: the same plans in the same order, as `PlanRow`s
    (a district head's list holds every live plan of the district: three ORM objects per row
    were most of the page's cost)."""
    return overseen_cases(user, PLAN_KIND_NAME, _in_regions, _overseen_rows, _plan_row)


# Defined once: `overseen_cases` keeps its statement by these functions.
def _in_regions(query: Select[Any], regions: set[str]) -> Select[Any]:
    return query.where(_REGION.code.in_(regions))  # joined by `_selected`


def _overseen_rows(query: Select[Any]) -> Select[Any]:
    return earliest_due_first(_selected(query), ActionPlan)


def my_task_rows(user: User, limit: int | None = TASKS_SHOWN) -> Page[Task]:
    """`queries.my_task_page` for the page: the same tasks, in the same order and count, their
    plans as `PlanRow`s."""
    return row_task_page(
        user,
        PLAN_KIND_NAME,
        limit,
        Task,
        _plan_rows,
        _plan_row,
        _place_of_plan,
        published_waits=False,
    )


def _place_of_plan(row: PlanRow) -> RowRegion:
    return row.region


# --- the lists of rows, their statements built once ------------------------------------------


def _task_statement(
    user: User, kind: str, states: frozenset[str], shape: Shape, batch: int | None
) -> Select[Any]:
    """`shape` of the cases of `kind` `user` may see in `states`, each row with the number of
    candidates (a window count, computed before LIMIT), the first `batch` of them; built once
    per user's grants (`case_queries.kept_statement`)."""

    def build() -> Select[Any]:
        query = shape(policy.visible(user, kind).where(kind_named(kind).model.state.in_(states)))
        statement = query.add_columns(func.count().over())
        return statement.limit(batch) if batch else statement

    return kept_statement(user, ("tasks", kind, states, shape, batch), build)


def row_task_page(
    user: User,
    kind: str,
    limit: int | None,
    task: Callable[[Any, list[TransitionDef]], Item],
    shape: Shape,
    row: Callable[[Sequence[Any]], Any],
    place: Callable[[Any], RowRegion],
    *,
    published_waits: bool = True,
) -> Page[Item]:
    """`case_queries.task_page` for a `shape` that selects columns (no joined eager load: no
    row repeats), each result row made a case by `row`: the same tasks, order and total. Its
    statement is built once per user's grants (`_task_statement`) and run as Core (the ORM's
    execution and its Bundle cost more than making the rows here); a row's scope is its
    `place` (a region's code and province), so that the policy is asked once per (version,
    state, place), not per row."""
    found = kind_named(kind)
    grants = user.grants()
    states = waiting_states(found.workflow, {g.role for g in grants}, published_waits)
    if not states:
        return Page()
    batch = limit or None
    statement = _task_statement(user, kind, frozenset(states), shape, batch)
    answers: dict[tuple[Any, ...], list[TransitionDef]] = {}
    page: Page[Item] = Page()
    offset = 0
    while True:
        # Exactly a page, as paging.first_accepted reads it: the next batch only when a
        # candidate was turned away.
        rows = core_rows(statement.offset(offset) if offset else statement)
        for *values, candidates in rows:
            case = row(values)
            where = place(case)
            key = (
                case.workflow_name,
                case.workflow_version,
                case.state,
                where.code,
                where.province_code,
            )
            actions = answers.get(key)
            if actions is None:
                actions = answers[key] = policy.actions_if_owner(user, case, grants)
            if not actions:
                continue
            page.items.append(task(case, list(actions)))
            if limit is not None and len(page.items) == limit:
                page.total = int(candidates)
                return page
        if batch is None or len(rows) < batch:
            page.total = offset + len(rows)  # every candidate has been read
            return page
        offset += batch
