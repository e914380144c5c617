"""Who may fire which trigger on a subject in a given region: roles scoped to regions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .definition import TransitionDef, WorkflowDefinition
from .errors import CommentRequired, NotAllowedFromState, RoleNotAllowed, UnknownTrigger
from .roles import DISTRICT_ROLES, Role


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


def grant_covers(grant: Grant, scope: Scope) -> bool:
    """District roles act in their own district; other roles also cover the whole province."""
    if grant.role == Role.ADMIN:
        return True
    if grant.role in DISTRICT_ROLES:
        return grant.region_code == scope.region_code
    return grant.region_code in (scope.region_code, scope.province_code)


def usable_grants(transition: TransitionDef, grants: Iterable[Grant], scope: Scope) -> list[Grant]:
    return [g for g in grants if g.role in transition.roles and grant_covers(g, scope)]


def authorize(
    definition: WorkflowDefinition,
    state: str,
    trigger: str,
    grants: Iterable[Grant],
    scope: Scope,
    comment: str | None = None,
) -> tuple[TransitionDef, Grant]:
    """Check trigger, role, state, scope and comment; return the transition and the grant used.

    The order gives the most useful answer: an action the actor can never take is a 403
    whatever the state; an action of theirs at the wrong moment is a 409.
    """
    grants = list(grants)
    candidates = [t for t in definition.transitions if t.trigger == trigger]
    if not candidates:
        raise UnknownTrigger(f"unknown action {trigger!r}")
    if not any(usable_grants(t, grants, scope) for t in candidates):
        raise RoleNotAllowed(f"your role may not {trigger} this plan")
    transition = definition.transition_for(trigger, state)
    if transition is None:
        raise NotAllowedFromState(f"action {trigger!r} is not possible from state {state!r}")
    usable = usable_grants(transition, grants, scope)
    if not usable:
        raise RoleNotAllowed(f"your role may not {trigger} this plan in state {state!r}")
    if transition.comment_required and not (comment or "").strip():
        raise CommentRequired(f"action {trigger!r} needs a comment")
    # Prefer acting in one's own name over acting for someone else.
    usable.sort(key=lambda g: g.acting_for is not None)
    return transition, usable[0]


def available_transitions(
    definition: WorkflowDefinition, state: str, grants: Iterable[Grant], scope: Scope
) -> list[TransitionDef]:
    grants = list(grants)
    return [t for t in definition.transitions_from(state) if usable_grants(t, grants, scope)]
