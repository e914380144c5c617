"""Every trigger × every state × every role, in and out of scope, against `engine.authorize`.

The expected outcomes come from the tables below, written from the issue's description of the
workflow, not read from the YAML: a wrong `workflows/action_plan.yaml` makes these tests fail.
"""

from __future__ import annotations

import pytest

from tests.unit.machine_carrier import next_state
from workflow_app.engine import (
    CommentRequired,
    Grant,
    GuardRegistry,
    NotAllowedFromState,
    RoleCatalogue,
    RoleNotAllowed,
    Scope,
    TransitionRefused,
    UnknownTrigger,
    WorkflowDefinition,
    WorkflowMachine,
    authorize,
    available_transitions,
    load_definition,
)
from workflow_app.resources import resource_path

STATES = (
    "draft",
    "district_review",
    "provincial_sync",
    "returned",
    "approved",
    "monitored",
    "closed",
    "withdrawn",
)
TRIGGERS = ("submit", "forward", "return", "approve", "start_monitoring", "close", "withdraw")
ROLES = (
    "district_drafter",
    "district_reviewer",
    "district_head",
    "provincial_reviewer",
    "provincial_head",
    "partner",
    "admin",
    "system",
)

# (trigger, source state) -> (roles allowed, destination). Every pair not listed is refused.
ALLOWED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("submit", "draft"): (frozenset({"district_drafter"}), "district_review"),
    ("submit", "returned"): (frozenset({"district_drafter"}), "district_review"),
    ("forward", "district_review"): (frozenset({"district_reviewer"}), "provincial_sync"),
    ("return", "district_review"): (frozenset({"district_reviewer"}), "returned"),
    ("return", "provincial_sync"): (frozenset({"provincial_reviewer"}), "returned"),
    ("approve", "provincial_sync"): (frozenset({"provincial_reviewer"}), "approved"),
    # The system starts monitoring by itself when the plan's period begins.
    ("start_monitoring", "approved"): (frozenset({"provincial_reviewer", "system"}), "monitored"),
    ("close", "monitored"): (frozenset({"provincial_reviewer", "provincial_head"}), "closed"),
    ("withdraw", "draft"): (frozenset({"district_drafter", "district_head"}), "withdrawn"),
    ("withdraw", "returned"): (frozenset({"district_drafter", "district_head"}), "withdrawn"),
}
COMMENT_REQUIRED = frozenset({"return"})

PLAN_SCOPE = Scope(region_code="6301", province_code="63")
# Where each role's grant sits when the actor works on the plan's own district.
HOME_REGION = {
    "district_drafter": "6301",
    "district_reviewer": "6301",
    "district_head": "6301",
    "provincial_reviewer": "63",
    "provincial_head": "63",
    "partner": "6301",
    "admin": "63",
    "system": "63",
}
OTHER_DISTRICT = "6304"


def _roles_of(trigger: str) -> frozenset[str]:
    """The roles that may fire `trigger` from some state."""
    return frozenset().union(*(roles for (t, _), (roles, _) in ALLOWED.items() if t == trigger))


def expected_outcome(trigger: str, state: str, role: str, in_scope: bool) -> type | str:
    """A destination state, or the exception class authorize must raise (comment given).

    Precedence, as a user should experience it: an action the actor can never take here is
    a 403 whatever the state; an action of theirs at the wrong moment is a 409.
    """
    admin_everywhere = role == "admin"  # admin's grant covers every region, but acts on none
    if not (in_scope or admin_everywhere) or role not in _roles_of(trigger):
        return RoleNotAllowed
    if (trigger, state) not in ALLOWED:
        return NotAllowedFromState
    roles, dest = ALLOWED[(trigger, state)]
    if role not in roles:
        return RoleNotAllowed
    return dest


def _comment_for(trigger: str) -> str | None:
    return "Lengkapi data baseline" if trigger in COMMENT_REQUIRED else None


CASES = [
    pytest.param(trigger, state, role, in_scope, id=f"{trigger}-{state}-{role}-{scope_id}")
    for trigger in TRIGGERS
    for state in STATES
    for role in ROLES
    for in_scope, scope_id in ((True, "own"), (False, "other"))
]


def _grant(role: str, in_scope: bool) -> Grant:
    return Grant(role=role, region_code=HOME_REGION[role] if in_scope else OTHER_DISTRICT)


@pytest.mark.parametrize(("trigger", "state", "role", "in_scope"), CASES)
def test_authorize_every_trigger_state_role(
    definition: WorkflowDefinition,
    machine: WorkflowMachine,
    trigger: str,
    state: str,
    role: str,
    in_scope: bool,
    catalogue: RoleCatalogue,
) -> None:
    expected = expected_outcome(trigger, state, role, in_scope)
    grant = _grant(role, in_scope)
    comment = _comment_for(trigger)
    if isinstance(expected, str):
        step, used = authorize(definition, state, trigger, [grant], PLAN_SCOPE, catalogue, comment)
        assert (step.trigger, step.dest, used) == (trigger, expected, grant)
        assert next_state(machine, state, trigger) == expected
    else:
        with pytest.raises(TransitionRefused) as caught:
            authorize(definition, state, trigger, [grant], PLAN_SCOPE, catalogue, comment)
        assert type(caught.value) is expected, caught.value.message


def test_the_table_covers_the_workflow_of_the_issue() -> None:
    """Guard the table itself: eight states, seven triggers, ten allowed pairs."""
    assert {t for t, _ in ALLOWED} == set(TRIGGERS)
    assert {s for _, s in ALLOWED} | {d for _, d in ALLOWED.values()} == set(STATES)
    assert len(ALLOWED) == 10


def test_every_pair_of_the_table_is_in_the_definition(definition: WorkflowDefinition) -> None:
    actual = {
        (t.trigger, source): (t.roles, t.dest)
        for t in definition.transitions
        for source in t.sources
    }
    assert actual == ALLOWED
    assert set(definition.states) == set(STATES)
    assert definition.initial == "draft"
    assert {t.trigger for t in definition.transitions if t.comment_required} == COMMENT_REQUIRED


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("trigger", ["publish", "create", "", "Submit"])
def test_unknown_trigger_is_refused_for_everyone(
    definition: WorkflowDefinition, trigger: str, role: str, state: str, catalogue: RoleCatalogue
) -> None:
    with pytest.raises(UnknownTrigger):
        authorize(
            definition, state, trigger, [_grant(role, True)], PLAN_SCOPE, catalogue, "komentar"
        )


@pytest.mark.parametrize("state", ["district_review", "provincial_sync"])
@pytest.mark.parametrize("comment", [None, "", " ", "   \t\n  "])
def test_return_needs_a_non_blank_comment(
    definition: WorkflowDefinition, state: str, comment: str | None, catalogue: RoleCatalogue
) -> None:
    role = "district_reviewer" if state == "district_review" else "provincial_reviewer"
    with pytest.raises(CommentRequired):
        authorize(definition, state, "return", [_grant(role, True)], PLAN_SCOPE, catalogue, comment)


def test_return_with_a_comment_is_allowed(
    definition: WorkflowDefinition, catalogue: RoleCatalogue
) -> None:
    step, _ = authorize(
        definition,
        "district_review",
        "return",
        [_grant("district_reviewer", True)],
        PLAN_SCOPE,
        catalogue,
        "  Target 2027 belum diisi ",
    )
    assert step.dest == "returned"


@pytest.mark.parametrize(
    ("trigger", "state"), [pair for pair in ALLOWED if pair[0] not in COMMENT_REQUIRED]
)
@pytest.mark.parametrize("comment", [None, "", "  ", "Catatan opsional"])
def test_other_triggers_accept_any_comment_or_none(
    definition: WorkflowDefinition,
    trigger: str,
    state: str,
    comment: str | None,
    catalogue: RoleCatalogue,
) -> None:
    roles, dest = ALLOWED[(trigger, state)]
    role = sorted(roles)[0]
    step, _ = authorize(
        definition, state, trigger, [_grant(role, True)], PLAN_SCOPE, catalogue, comment
    )
    assert step.dest == dest


def test_a_comment_does_not_override_a_refusal(
    definition: WorkflowDefinition, catalogue: RoleCatalogue
) -> None:
    """The comment check comes last: a wrong role is still a 403, not a 400."""
    with pytest.raises(RoleNotAllowed):
        authorize(
            definition,
            "provincial_sync",
            "return",
            [_grant("district_reviewer", True)],
            PLAN_SCOPE,
            catalogue,
        )


def test_provincial_grant_of_another_province_is_out_of_scope(
    definition: WorkflowDefinition, catalogue: RoleCatalogue
) -> None:
    grant = Grant(role="provincial_reviewer", region_code="64")
    with pytest.raises(RoleNotAllowed):
        authorize(definition, "provincial_sync", "approve", [grant], PLAN_SCOPE, catalogue)


def test_a_grant_in_scope_wins_over_one_out_of_scope(
    definition: WorkflowDefinition, catalogue: RoleCatalogue
) -> None:
    """A reviewer of two districts may forward a plan of either."""
    grants = [Grant("district_reviewer", "6304"), Grant("district_reviewer", "6301")]
    step, used = authorize(definition, "district_review", "forward", grants, PLAN_SCOPE, catalogue)
    assert (step.dest, used.region_code) == ("provincial_sync", "6301")


def test_acting_in_own_name_is_preferred_over_acting_for_someone(
    definition: WorkflowDefinition, catalogue: RoleCatalogue
) -> None:
    delegated = Grant("district_reviewer", "6301", acting_for=42)
    own = Grant("district_reviewer", "6301")
    _, used = authorize(
        definition, "district_review", "forward", [delegated, own], PLAN_SCOPE, catalogue
    )
    assert used is own
    _, used = authorize(
        definition, "district_review", "forward", [delegated], PLAN_SCOPE, catalogue
    )
    assert used.acting_for == 42


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_available_transitions_are_exactly_the_allowed_ones(
    definition: WorkflowDefinition, role: str, state: str, catalogue: RoleCatalogue
) -> None:
    offered = available_transitions(definition, state, [_grant(role, True)], PLAN_SCOPE, catalogue)
    expected = sorted(t for (t, s), (roles, _) in ALLOWED.items() if s == state and role in roles)
    assert sorted(t.trigger for t in offered) == expected
    assert (
        available_transitions(definition, state, [_grant(role, False)], PLAN_SCOPE, catalogue) == []
    )


@pytest.fixture(scope="module")
def definition() -> WorkflowDefinition:
    stub_guards = GuardRegistry()
    stub_guards.register("plan_complete")(lambda plan: [])
    return load_definition(resource_path("workflows") / "action_plan.yaml", stub_guards)


@pytest.fixture(scope="module")
def catalogue(definition: WorkflowDefinition) -> RoleCatalogue:
    """The roles the definition declares, with the platform's."""
    return RoleCatalogue(definition.roles.values())


@pytest.fixture(scope="module")
def machine(definition: WorkflowDefinition) -> WorkflowMachine:
    return WorkflowMachine(definition)
