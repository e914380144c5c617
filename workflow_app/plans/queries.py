"""Read-only queries behind the task list and the plans list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..engine import TransitionDef
from ..extensions import db
from ..paging import Page
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, definitions_of, registry
from .access import visible_plans
from .case_queries import earliest_due_first, overseen_cases, task_page
from .models import PLAN_KIND_NAME, ActionPlan


@dataclass(frozen=True)
class Task:
    """A plan waiting for the user, with the actions the user may take on it now."""

    plan: ActionPlan
    actions: list[TransitionDef]


TASKS_SHOWN = 50  # per section of "My tasks"; the rest behind "show all"


def my_tasks(user: User) -> list[Task]:
    """Every plan waiting for the user's action (see `my_task_page`)."""
    return my_task_page(user, limit=None).items


def _with_region(query: Select[tuple[ActionPlan]]) -> Select[tuple[ActionPlan]]:
    return query.options(joinedload(ActionPlan.region).joinedload(Region.parent))


def my_task_page(user: User, limit: int | None = TASKS_SHOWN) -> Page[Task]:
    """Plans in a state the user owns (in the plan's scope) on which the user can act now:
    the earliest due first, then those without a deadline; the longest waiting first among
    equals. A published state (an approved or monitored plan is the outcome, running for
    years; it starts monitoring by itself and its reports are tasks of their own) waits for
    no one. Read in batches until `limit` tasks are found; the total is counted in SQL."""
    return task_page(
        user,
        PLAN_KIND_NAME,
        limit,
        Task,
        lambda query: earliest_due_first(
            _with_region(query), ActionPlan, ActionPlan.state_entered_at
        ),
        published_waits=False,
    )


def visible_regions(user: User) -> list[Region]:
    """Regions holding at least one plan the user may see (for the list's region filter)."""
    region_ids = visible_plans(user).with_only_columns(ActionPlan.region_id).distinct()
    query = select(Region).where(Region.id.in_(region_ids)).order_by(Region.code)
    return list(db.session.scalars(query))


def state_options(language: str) -> list[tuple[str, str]]:
    """(state name, label) of the latest version of every workflow, in definition order."""
    options: dict[str, str] = {}
    for definition in definitions_of(PLAN_WORKFLOW):
        latest = registry().latest(definition.name)
        for name, state in latest.states.items():
            options.setdefault(name, state.label.get(language))
    return list(options.items())


def overseen_plans(user: User) -> list[ActionPlan]:
    """For a holder of an overseeing role (the district head): the plans of its region still
    in the workflow, the earliest due first, so the head sees what is late before an
    escalation email says so."""
    return overseen_cases(user, PLAN_KIND_NAME, _joined_in_regions, _overseen_in_order)


# Module-level, not lambdas: overseen_cases keeps the built statement by its shape functions.
def _joined_in_regions(query: Select[Any], regions: set[str]) -> Select[Any]:
    return query.join(ActionPlan.region).where(Region.code.in_(regions))


def _overseen_in_order(query: Select[Any]) -> Select[Any]:
    return earliest_due_first(_with_region(query), ActionPlan)
