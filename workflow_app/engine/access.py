"""Who may fire which trigger on a subject in a given region: roles scoped to regions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .definition import TransitionDef, WorkflowDefinition
from .errors import CommentRequired, NotAllowedFromState, RoleNotAllowed, UnknownTrigger
from .roles import RoleCatalogue, RoleScope


@dataclass(frozen=True)
class Grant:
    """A role held in a region. `acting_for` names the absent holder when delegated (Plt/Plh)."""

    role: str
    region_code: str
    acting_for: int | None = None


@dataclass(frozen=True)
class Scope:
    """Where a subject lives: its region and the province above it."""

    region_code: str
    province_code: str


def grant_covers(grant: Grant, scope: Scope, roles: RoleCatalogue) -> bool:
    """Where a role acts is declared with it: a district role in its own district, a
    provincial one also in the whole province below it, a global one everywhere. A role no
    loaded definition declares covers nothing."""
    reach = roles.scope_of(grant.role)
    if reach is None:
        return False
    if reach == RoleScope.GLOBAL:
        return True
    if reach == RoleScope.DISTRICT:
        return grant.region_code == scope.region_code
    return grant.region_code in (scope.region_code, scope.province_code)


def usable_grants(
    transition: TransitionDef, grants: Iterable[Grant], scope: Scope, roles: RoleCatalogue
) -> list[Grant]:
    return [g for g in grants if g.role in transition.roles and grant_covers(g, scope, roles)]


def authorize(
    definition: WorkflowDefinition,
    state: str,
    trigger: str,
    grants: Iterable[Grant],
    scope: Scope,
    roles: RoleCatalogue,
    comment: str | None = None,
    *,
    check_comment: bool = True,
) -> tuple[TransitionDef, Grant]:
    """Check trigger, role, state, scope and comment; return the transition and the grant used.

    The order gives the most useful answer: an action the actor can never take is a 403
    whatever the state; an action of theirs at the wrong moment is a 409. `check_comment`
    False: asked before the comment is written (a confirmation page).
    """
    grants = list(grants)
    candidates = [t for t in definition.transitions if t.trigger == trigger]
    if not candidates:
        raise UnknownTrigger(f"unknown action {trigger!r}")
    if not any(usable_grants(t, grants, scope, roles) for t in candidates):
        raise RoleNotAllowed(f"your role may not {trigger} this {definition.label.en.lower()}")
    transition = definition.transition_for(trigger, state)
    if transition is None:
        raise NotAllowedFromState(f"action {trigger!r} is not possible from state {state!r}")
    usable = usable_grants(transition, grants, scope, roles)
    if not usable:
        raise RoleNotAllowed(
            f"your role may not {trigger} this {definition.label.en.lower()} in state {state!r}"
        )
    if check_comment and transition.comment_required and not (comment or "").strip():
        raise CommentRequired(f"action {trigger!r} needs a comment")
    # Prefer acting in one's own name over acting for someone else.
    usable.sort(key=lambda g: g.acting_for is not None)
    return transition, usable[0]


def available_transitions(
    definition: WorkflowDefinition,
    state: str,
    grants: Iterable[Grant],
    scope: Scope,
    roles: RoleCatalogue,
) -> list[TransitionDef]:
    grants = list(grants)
    return [t for t in definition.transitions_from(state) if usable_grants(t, grants, scope, roles)]
