"""Lists of declared cases: what a user may see, filtered as the list page asks."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..accounts.models import User
from ..deadlines.display import due_statuses
from ..engine import Label, TransitionDef
from ..extensions import db
from ..paging import Page
from ..plans.case_queries import earliest_due_first, kinds_with_tasks, task_page, waiting_states
from ..regions.models import Region
from ..signoffs import service as sign_offs
from ..signoffs.models import SignOff
from ..subjects import load_case
from ..workflows import registry, roles
from .kinds import declared_kinds
from .models import DeclaredCase

LIST_LIMIT = 500


def list_cases(
    user: User,
    kind: str,
    region_code: str | None = None,
    state: str | None = None,
    chosen: Mapping[str, str] | None = None,
    *,
    limit: int | None = LIST_LIMIT,
) -> list[DeclaredCase]:
    """The cases of `kind` the user may see, newest first, in `region_code` and `state` when
    given, and whose declared filter fields hold the `chosen` values (compared as text, as a
    list's filter sends them)."""
    query = policy.visible(user, kind).options(joinedload(DeclaredCase.region))
    if region_code:
        query = query.where(DeclaredCase.region.has(Region.code == region_code))
    if state:
        query = query.where(DeclaredCase.state == state)
    for name, value in (chosen or {}).items():
        if value:
            # As text on both databases: SQLite's JSON_EXTRACT gives numbers as numbers.
            query = query.where(cast(DeclaredCase.values[name].as_string(), String) == value)
    query = query.order_by(DeclaredCase.updated_at.desc(), DeclaredCase.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


@dataclass
class CaseTask:
    case: DeclaredCase
    actions: list[TransitionDef]


@dataclass
class KindTasks:
    """The cases of one declared kind waiting for a user, and their deadlines by case id."""

    kind: str
    label: Label
    page: Page[CaseTask]
    dues: dict[int, Any]


def declared_tasks(
    user: User, limit: int | None, present: set[str] | None = None
) -> list[KindTasks]:
    """For every declared kind: the cases in a state the user owns on which they can act now,
    the earliest due first (the same rule as the plans' "My tasks"). `present`: the kinds
    known to have such a case (`case_tasks` finds them), else found here."""
    sections = []
    kinds = declared_kinds()
    if present is None:
        # One statement finds the kinds with a case waiting; only those are read.
        present = kinds_with_tasks(user, [kind.name for kind in kinds])
    for kind in kinds:
        if kind.name not in present:
            continue
        page = task_page(
            user,
            kind.name,
            limit,
            CaseTask,
            lambda query: earliest_due_first(
                query.options(joinedload(DeclaredCase.region)),
                DeclaredCase,
                DeclaredCase.state_entered_at,
            ),
        )
        if page.items:
            label = registry().latest(kind.workflow).label
            dues = due_statuses(task.case for task in page.items)
            sections.append(KindTasks(kind.name, label, page, dues))
    return sections


@dataclass
class OpinionTask:
    """A sign-off waiting for the user's opinion: the case, its kind's label, the row."""

    case: Any
    label: Label
    row: SignOff


Opinions = tuple[list[OpinionTask], dict[int, Any]]


def case_tasks(user: User, limit: int | None) -> tuple[list[KindTasks], Opinions]:
    """`declared_tasks` and `opinions_waiting` for "My tasks", whose probes share one
    statement: which declared kinds have a case waiting on the user (`kinds_with_tasks`'s
    EXISTS) and whether any sign-off is still open for them. Most users have neither, and
    their page then reads nothing more of either (before: a statement for each)."""
    names, probe = _probe(user)
    *kinds, asked = db.session.execute(probe).one()
    present = {name for name, found in zip(names, kinds, strict=True) if found}
    declared = declared_tasks(user, limit, present) if present else []
    return declared, opinions_waiting(user) if asked else ([], {})


# The probe is the same SQL on every visit of a user with the same grants: built once per
# everything it is made of (building the kinds' visibility costs more than running it).
_PROBES: dict[tuple[Any, ...], tuple[tuple[object, ...], tuple[str, ...], Select[Any]]] = {}
_PROBES_KEPT = 1024


def _probe(user: User) -> tuple[tuple[str, ...], Select[Any]]:
    """The kinds probed and the statement: an EXISTS per declared kind with a state waiting on
    one of the user's roles, then whether a sign-off is open for the user."""
    grants = user.grants()
    held = {grant.role for grant in grants}
    kinds = declared_kinds()
    waiting = [(kind, frozenset(waiting_states(kind.workflow, held))) for kind in kinds]
    catalogue = roles()
    # The kinds and the catalogue by identity, pinned with the statement (a reloaded one is
    # never answered for by the one it replaced); the grants as visible_in_regions reads them.
    key = (
        user.id,
        tuple((grant.role, grant.region_code) for grant in grants),
        id(catalogue),
        tuple((id(kind), states) for kind, states in waiting),
    )
    pins = (catalogue, *kinds)  # as many as the key's kinds, so zipped whole
    found = _PROBES.get(key)
    if found is not None and all(map(operator.is_, found[0], pins)):
        return found[1], found[2]
    probes = {
        kind.name: policy.visible(user, kind.name).where(kind.model.state.in_(states)).exists()
        for kind, states in waiting
        if states
    }
    open_sign_off = (
        select(SignOff.id)
        .where(SignOff.participant_id == user.id, SignOff.answer.is_(None))
        .exists()
    )
    names, statement = tuple(probes), select(*probes.values(), open_sign_off)
    if len(_PROBES) >= _PROBES_KEPT:
        _PROBES.clear()
    _PROBES[key] = (pins, names, statement)
    return names, statement


def opinions_waiting(user: User) -> Opinions:
    """The open sign-offs the user is asked for, the earliest due first, and their deadlines
    by sign-off id."""
    tasks = []
    for row in sign_offs.waiting_for(user):
        case = load_case(row.subject_kind, row.subject_id)
        if case is None or not policy.may_see(user, case):
            continue
        label = registry().get(case.workflow_name, case.workflow_version).label
        tasks.append(OpinionTask(case, label, row))
    return tasks, due_statuses(task.row for task in tasks)
