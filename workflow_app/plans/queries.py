"""Read-only queries behind the task list and the plans list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..engine import TransitionDef, available_transitions
from ..extensions import db
from ..paging import Page, first_accepted
from ..regions.models import Region
from ..workflows import PLAN_WORKFLOW, covers, definition_of, definitions_of, registry, roles
from .access import scope_of, visible_plans
from .models import ActionPlan


@dataclass(frozen=True)
class Task:
    """A plan waiting for the user, with the actions the user may take on it now."""

    plan: ActionPlan
    actions: list[TransitionDef]


def _owned_states(held: set[str]) -> set[str]:
    """Names of the states, in any loaded plan definition, owned by one of the `held` roles
    that wait for someone: not final, and not published (an approved or monitored plan is the
    outcome, running for years; it starts monitoring by itself and its reports are tasks of
    their own)."""
    return {
        name
        for definition in definitions_of(PLAN_WORKFLOW)
        for name, state in definition.states.items()
        if state.owner in held and not state.final and not state.published
    }


TASKS_SHOWN = 50  # per section of "My tasks"; the rest behind "show all"


def my_tasks(user: User) -> list[Task]:
    """Every plan waiting for the user's action (see `my_task_page`)."""
    return my_task_page(user, limit=None).items


def my_task_page(user: User, limit: int | None = TASKS_SHOWN) -> Page[Task]:
    """Plans in a state the user owns (in the plan's scope) on which the user can act now:
    the earliest due first, then those without a deadline; the longest waiting first among
    equals. Read in batches until `limit` tasks are found; the total is counted in SQL."""
    grants = user.grants()
    states = _owned_states({g.role for g in grants})
    if not states:
        return Page()
    query = (
        visible_plans(user)
        .where(ActionPlan.state.in_(states))
        .options(joinedload(ActionPlan.region).joinedload(Region.parent))
        .order_by(
            # `IS NULL` sorts the plans without a deadline last on SQLite and PostgreSQL alike.
            ActionPlan.due_at.is_(None),
            ActionPlan.due_at,
            ActionPlan.state_entered_at,
            ActionPlan.id,
        )
    )

    def as_task(plan: ActionPlan) -> Task | None:
        definition = definition_of(plan)
        scope = scope_of(plan)
        owner = definition.states[plan.state].owner
        if not any(g.role == owner and covers(g, scope) for g in grants):
            return None
        actions = available_transitions(definition, plan.state, grants, scope, roles())
        return Task(plan=plan, actions=actions) if actions else None

    return first_accepted(query, as_task, limit)


def list_plans(
    user: User, *, region_code: str | None = None, state: str | None = None
) -> list[ActionPlan]:
    """The plans `user` may see, optionally narrowed to one region and one state."""
    query = visible_plans(user).options(joinedload(ActionPlan.region).joinedload(Region.parent))
    if region_code:
        query = query.where(ActionPlan.region.has(Region.code == region_code))
    if state:
        query = query.where(ActionPlan.state == state)
    query = query.order_by(ActionPlan.updated_at.desc(), ActionPlan.id.desc())
    return list(db.session.scalars(query).unique())


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
    overseeing = roles().overseeing()
    regions = {g.region_code for g in user.grants() if g.role in overseeing}
    if not regions:
        return []
    final_states = {
        name
        for definition in definitions_of(PLAN_WORKFLOW)
        for name, state in definition.states.items()
        if state.final
    }
    query = (
        visible_plans(user)
        .join(ActionPlan.region)
        .where(Region.code.in_(regions), ActionPlan.state.not_in(final_states))
        .options(joinedload(ActionPlan.region).joinedload(Region.parent))
        .order_by(ActionPlan.due_at.is_(None), ActionPlan.due_at, ActionPlan.id)
    )
    return list(db.session.scalars(query).unique())
