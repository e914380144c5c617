"""Who may see and do what, for every kind of case: the one access policy.

Every answer goes by a user's grants, which include the roles they act for today through a
delegation (Plt/Plh), and by the scope each role is declared with in the definitions. Pages,
lists, exports, the API, the CLI, the dashboard and the sync page ask here; the only rules
kept by a feature are those its kind registers (subjects.CaseKind: which cases a user may
see, as a Python test and as SQL).

A case nobody may see is "not found" (OutOfScope, 404), never "forbidden", so that its
existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, union_all
from sqlalchemy.orm import aliased

from .accounts.models import User
from .engine import (
    Grant,
    NotAllowedFromState,
    OutOfScope,
    RoleNotAllowed,
    RoleScope,
    Scope,
    StateDef,
    TransitionDef,
    available_transitions,
)
from .regions.models import Region
from .subjects import kind_named, kind_of, load_case
from .workflows import covers, definition_of, registry, roles


def _grants(user: User, grants: Iterable[Grant] | None) -> list[Grant]:
    return list(grants) if grants is not None else user.grants()


def grant_for(
    user: User, wanted: Iterable[str], scope: Scope, grants: Iterable[Grant] | None = None
) -> Grant | None:
    """A grant of `user` holding one of `wanted` where `scope` is, preferring one held in the
    user's own name over one acted for; None when there is none."""
    names = set(wanted)
    usable = [g for g in _grants(user, grants) if g.role in names and covers(g, scope)]
    usable.sort(key=lambda g: g.acting_for is not None)
    return usable[0] if usable else None


def holds(
    user: User, wanted: Iterable[str], scope: Scope, grants: Iterable[Grant] | None = None
) -> bool:
    """Whether `user` holds (or acts for someone who holds) one of `wanted` where `scope` is."""
    return grant_for(user, wanted, scope, grants) is not None


def scope_of(case: Any) -> Scope:
    return kind_of(case).scope_of(case)


def state_of(case: Any) -> StateDef:
    return definition_of(case).states[case.state]


# --- seeing ---------------------------------------------------------------------------------


def may_see(user: User, case: Any) -> bool:
    return kind_of(case).visible_to(user, case)


def visible(user: User, kind: str) -> Select[Any]:
    """A SELECT of the cases of `kind` that `user` may see (filter and order it further)."""
    return kind_named(kind).visible_query(user)


def find_visible(user: User, kind: str, case_id: int) -> Any:
    """The case, if `user` may see it; otherwise 'not found', never 'forbidden'."""
    case = load_case(kind, case_id)
    if case is None or not may_see(user, case):
        raise OutOfScope(f"{kind} not found")
    return case


# --- cases that live in a region (plans, declared kinds) ---------------------------------


def region_scope(region: Region) -> Scope:
    return Scope(region_code=region.code, province_code=region.province_code)


def sees_in_region(user: User, region: Region, published: bool) -> bool:
    """Whether `user` may see a case of `region` whose state is `published` or not: any grant
    reaching the region does, a partner's only for a published state."""
    scope, catalogue = region_scope(region), roles()
    return any(
        covers(grant, scope) and (published or not catalogue.published_only(grant.role))
        for grant in user.grants()
    )


def _reach(reach: RoleScope | None, region_code: str, region_id: Any) -> ColumnElement[bool]:
    """The cases (by their region column) a grant with this declared scope reaches."""
    if reach is None:
        return false()
    if reach == RoleScope.GLOBAL:
        return true()
    if reach == RoleScope.DISTRICT:
        return region_id.in_(select(Region.id).where(Region.code == region_code))
    # The region itself, then the regions whose parent it is, as a UNION rather than
    # `code = X OR parent_id IN (...)`: PostgreSQL estimates that OR at half of all regions and
    # plans whole-table scans for it (the national data set: /dashboard's SQL 130 -> 653 ms
    # from one province to 38; as a union 159 -> 159 ms, bench/national.py).
    parent = aliased(Region)
    return region_id.in_(
        union_all(
            select(Region.id).where(Region.code == region_code),
            select(Region.id)
            .join(parent, Region.parent_id == parent.id)
            .where(parent.code == region_code),
        )
    )


# A user's reach is the same SQL on every page: built once per (model, grants, published
# states), not once per list (building `_reach`'s subqueries costs more than running them).
@lru_cache(maxsize=512)
def _visible_condition(
    model: Any, held: tuple[tuple[str, RoleScope | None, bool], ...], published: frozenset[str]
) -> ColumnElement[bool]:
    conditions = []
    for region_code, reach, published_only in held:
        condition = _reach(reach, region_code, model.region_id)
        if published_only:
            condition = and_(condition, model.state.in_(sorted(published)))
        conditions.append(condition)
    return or_(*conditions) if conditions else false()


def visible_in_regions(user: User, model: Any, published_states: set[str]) -> Select[Any]:
    """A SELECT of the cases of `model` (with `region_id` and `state`) `user` may see, the
    same rule as `sees_in_region`."""
    catalogue = roles()
    held = tuple(
        (g.region_code, catalogue.scope_of(g.role), catalogue.published_only(g.role))
        for g in user.grants()
    )
    return select(model).where(_visible_condition(model, held, frozenset(published_states)))


# --- acting ---------------------------------------------------------------------------------


# A list of tasks asks the same two questions for each of its rows, and its rows fall into a
# few (state, region) pairs: the answers are kept by their inputs (both are pure functions of
# them). The definition and the role catalogue are kept by identity, pinned with the answer,
# so a reloaded definition or catalogue is never answered for by the one it replaced.
_ANSWERS: dict[tuple[Any, ...], tuple[object, object, Any]] = {}
_ANSWERS_KEPT = 4096


def _remembered(key: tuple[Any, ...], pins: tuple[object, object], answer: Any) -> Any:
    found = _ANSWERS.get(key)
    if found is not None and found[0] is pins[0] and found[1] is pins[1]:
        return found[2]
    value = answer()
    if len(_ANSWERS) >= _ANSWERS_KEPT:
        _ANSWERS.clear()
    _ANSWERS[key] = (*pins, value)
    return value


def actions(user: User, case: Any, grants: Iterable[Grant] | None = None) -> list[TransitionDef]:
    """The transitions `user` may fire on `case` now (guards not evaluated)."""
    definition, catalogue, state = definition_of(case), roles(), case.state
    held, scope = tuple(_grants(user, grants)), scope_of(case)
    found = _remembered(
        ("actions", id(definition), id(catalogue), state, held, scope),
        (definition, catalogue),
        lambda: tuple(available_transitions(definition, state, held, scope, catalogue)),
    )
    return list(found)


def is_owner(user: User, case: Any, grants: Iterable[Grant] | None = None) -> bool:
    """Whether the case waits on `user`: they hold its state's owner role where it is."""
    owner, catalogue = state_of(case).owner, roles()
    held, scope = tuple(_grants(user, grants)), scope_of(case)
    return _remembered(
        ("owner", owner, id(catalogue), held, scope),
        (catalogue, catalogue),
        lambda: holds(user, [owner], scope, held),
    )


def actions_if_owner(
    user: User, case: Any, grants: Iterable[Grant] | None = None
) -> list[TransitionDef]:
    """`actions` when the case waits on `user` (`is_owner`), else none: the one question a task
    list asks of each row, answered with one definition and catalogue lookup."""
    definition, catalogue, state = definition_of(case), roles(), case.state
    held, scope = tuple(_grants(user, grants)), scope_of(case)
    owner = definition.states[state].owner
    owns = _remembered(
        ("owner", owner, id(catalogue), held, scope),
        (catalogue, catalogue),
        lambda: holds(user, [owner], scope, held),
    )
    if not owns:
        return []
    found = _remembered(
        ("actions", id(definition), id(catalogue), state, held, scope),
        (definition, catalogue),
        lambda: tuple(available_transitions(definition, state, held, scope, catalogue)),
    )
    return list(found)


def editing_roles(case: Any) -> set[str]:
    """The roles that change a case's contents: the owners of its definition's editable
    states."""
    return {state.owner for state in definition_of(case).states.values() if state.editable}


def may_edit(user: User, case: Any) -> bool:
    """Whether `user` may change the case's contents now: it is in an `editable` state and
    they hold that state's owner role where it is."""
    return state_of(case).editable and is_owner(user, case)


def check_edit(user: User, case: Any) -> None:
    """Raise the refusal an edit by `user` would meet now: OutOfScope (404), RoleNotAllowed
    (403: not an editor of this case) or NotAllowedFromState (409: not editable now)."""
    kind = kind_of(case).name
    if not may_see(user, case):
        raise OutOfScope(f"{kind} not found")
    scope, state = scope_of(case), state_of(case)
    labels = " or ".join(sorted(roles().label(role, "en") for role in editing_roles(case)))
    if not holds(user, editing_roles(case), scope):
        raise RoleNotAllowed(f"only the {labels} may edit this {kind}")
    if not state.editable:
        raise NotAllowedFromState(f"a {kind} in state {case.state!r} cannot be edited")
    if not holds(user, [state.owner], scope):
        raise RoleNotAllowed(f"only the {labels} may edit this {kind}")


# --- opening cases and workspaces -----------------------------------------------------------


def creator_role(kind: str) -> str:
    """The role that opens cases of `kind`: the owner of the state they start in, in the
    version new cases get."""
    definition = registry().latest(kind_named(kind).workflow)
    return definition.states[definition.initial].owner


def may_create(user: User, kind: str, scope: Scope) -> bool:
    """Whether `user` holds (or acts for) the creator role of `kind` where `scope` is."""
    return holds(user, [creator_role(kind)], scope)


def may_open_workspace(user: User, scopes: Iterable[RoleScope], *, partners: bool = False) -> bool:
    """Whether `user` holds (or acts for) a role whose declared scope is one of `scopes`
    (partners only with `partners`): who opens the province's workspaces (the sync page,
    the dashboard)."""
    if not user.is_authenticated:
        return False
    wanted, catalogue = set(scopes), roles()
    return any(
        (partners or not catalogue.published_only(g.role)) and catalogue.scope_of(g.role) in wanted
        for g in user.grants()
    )


def reviewing_grant(user: User, case: Any, tag: str) -> Grant | None:
    """The grant through which `user` reviews `case` now: the case is in a state tagged `tag`
    and they hold its owner role where the case is."""
    state = state_of(case)
    if not state.has(tag):
        return None
    return grant_for(user, [state.owner], scope_of(case))
