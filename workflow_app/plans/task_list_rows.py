"""The plans of "My tasks" read as plain rows, for the page alone.

Each task of the list was an ActionPlan with its region and the region's province, three ORM
objects per row (identity map, attribute instrumentation, the timezone type on every date
column): most of the list's cost. The page reads only a few columns of each, so here one
statement selects those, as `PlanRow`s. The API and the feeds keep `queries.my_task_page`
(ORM objects). The policy finds a row's kind by `declared_kind`; the confirmation page of an
action is registered for `PlanRow` too (views.py), as `confirmation_of` looks by type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Bundle, aliased

from ..accounts.models import User
from ..paging import Page
from ..regions.models import Region
from .case_queries import earliest_due_first, task_page
from .models import PLAN_KIND_NAME, ActionPlan
from .queries import TASKS_SHOWN, Task


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


class _PlanRows(Bundle[Any]):
    """The columns below, each result row made a `PlanRow`."""

    def create_row_processor(self, query: Any, procs: Any, labels: Any) -> Any:
        def make(row: Any) -> PlanRow:
            (id_, title, name, code, parent, start, end, flow, flow_v, state, entered, due, v) = (
                proc(row) for proc in procs
            )
            place = RowRegion(name, code, code if parent is None else parent)
            return PlanRow(id_, title, place, start, end, flow, flow_v, state, entered, due, v)

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


def _plan_rows(query: Any) -> Any:
    """`query` (of ActionPlan) selecting `PlanRow`s, in the task list's order."""
    query = (
        query.with_only_columns(_COLUMNS)
        .select_from(ActionPlan)
        .join(_REGION, ActionPlan.region_id == _REGION.id)
        .outerjoin(_PROVINCE, _REGION.parent_id == _PROVINCE.id)
    )
    return earliest_due_first(query, ActionPlan, ActionPlan.state_entered_at)


def my_task_rows(user: User, limit: int | None = TASKS_SHOWN) -> Page[Task]:
    """`queries.my_task_page` for the page: the same tasks, in the same order and count, their
    plans as `PlanRow`s."""
    return task_page(user, PLAN_KIND_NAME, limit, Task, _plan_rows, published_waits=False)
