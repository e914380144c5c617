"""A state's `sign_off:` block: read, checked rule by rule with named errors, and the
quorum arithmetic (N of M, or all) that decides when the system fires an outcome."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from workflow_app.engine import DefinitionErrors, GuardRegistry
from workflow_app.engine.definition import load_definition
from workflow_app.engine.sign_off import SignOffSpec

LABEL = {"id": "x", "en": "x"}
BASE = {
    "name": "permit",
    "version": 1,
    "initial": "draft",
    "roles": {
        "clerk": {"label": LABEL, "scope": "district"},
        "member": {"label": LABEL, "scope": "district"},
    },
    "states": {
        "draft": {"label": LABEL, "owner": "clerk"},
        "signing": {
            "label": LABEL,
            "owner": "clerk",
            "sign_off": {
                "role": "member",
                "quorum": 2,
                "sla": 5,
                "on_quorum": "agreed",
                "on_objection": "objected",
                "on_unreachable": "objected",
                "steps": [
                    {"name": "reminder", "at": -1, "notify": ["participant"]},
                    {"name": "silence", "at": 3, "notify": ["clerk"], "counts_as": "agree"},
                ],
            },
        },
        "done": {"label": LABEL, "owner": "clerk", "final": True},
    },
    "transitions": [
        {"trigger": "send", "source": ["draft"], "dest": "signing", "roles": ["clerk"]},
        {"trigger": "agreed", "source": ["signing"], "dest": "done", "roles": ["system"]},
        {"trigger": "objected", "source": ["signing"], "dest": "draft", "roles": ["system"]},
        {"trigger": "pull", "source": ["signing"], "dest": "draft", "roles": ["clerk"]},
    ],
}


def load(tmp_path: Path, edit=None):  # -> WorkflowDefinition
    document = copy.deepcopy(BASE)
    if edit is not None:
        edit(document)
    path = tmp_path / "permit.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_definition(path, GuardRegistry())


def test_a_sign_off_is_read_with_its_outcomes_and_steps(tmp_path: Path) -> None:
    spec = load(tmp_path).states["signing"].sign_off
    assert (spec.role, spec.quorum, spec.sla) == ("member", 2, 5)
    assert (spec.on_quorum, spec.on_objection, spec.on_unreachable) == (
        "agreed",
        "objected",
        "objected",
    )
    assert [(s.name, s.kind, s.counts_as) for s in spec.steps] == [
        ("reminder", "reminder", None),
        ("silence", "escalation", "agree"),
    ]


@pytest.mark.parametrize(
    ("quorum", "participants", "agreed", "objected", "outcome"),
    [
        (2, 3, 1, 0, None),  # one more needed, two may still answer
        (2, 3, 2, 0, "agreed"),
        (2, 3, 1, 1, "objected"),  # an objection, with on_objection declared
        (None, 3, 2, 0, None),  # all of them: the third has not answered
        (None, 3, 3, 0, "agreed"),
        (5, 3, 3, 0, "agreed"),  # a quorum above the participants asks them all
        (2, 0, 0, 0, None),  # nobody to ask: the owner decides
    ],
)
def test_the_quorum_decides_the_outcome(
    quorum: int | None, participants: int, agreed: int, objected: int, outcome: str | None
) -> None:
    spec = SignOffSpec(
        role="member", quorum=quorum, sla=5, on_quorum="agreed", on_objection="objected"
    )
    assert spec.outcome(participants, agreed, objected) == outcome


def test_an_unreachable_quorum_fires_its_own_outcome() -> None:
    spec = SignOffSpec(role="member", quorum=3, sla=5, on_quorum="ok", on_unreachable="no")
    # Without on_objection an objection only counts against the quorum: 4 asked, 1 objects,
    # 3 may still agree; a second objection leaves 2 at most.
    assert spec.outcome(4, 1, 1) is None
    assert spec.outcome(4, 1, 2) == "no"


def _sign_off(**changes):
    def edit(document: dict) -> None:
        document["states"]["signing"]["sign_off"].update(changes)

    return edit


RULES = [
    ("an unknown role", _sign_off(role="mayor"), "states.signing.sign_off.role: unknown role"),
    (
        "a platform role",
        _sign_off(role="partner"),
        "states.signing.sign_off.role: 'partner' is a platform role",
    ),
    (
        "an outcome that does not leave the state",
        _sign_off(on_quorum="send"),
        "states.signing.sign_off.on_quorum: 'send' is not a transition from state 'signing'",
    ),
    (
        "an outcome the system may not fire",
        _sign_off(on_objection="pull"),
        "states.signing.sign_off.on_objection: 'pull' does not name the role 'system'",
    ),
    ("a quorum of none", _sign_off(quorum=0), "states.signing.sign_off.quorum:"),
    ("a quorum in words", _sign_off(quorum="most"), "states.signing.sign_off.quorum:"),
    (
        "a step before the sign-off starts",
        _sign_off(steps=[{"name": "early", "at": -5, "notify": ["participant"]}]),
        "states.signing.sign_off.steps[0] (early).at: -5 falls before the sign-off starts",
    ),
    (
        "a step name used twice",
        _sign_off(
            steps=[
                {"name": "nudge", "at": -1, "notify": ["participant"]},
                {"name": "nudge", "at": 1, "notify": ["clerk"]},
            ]
        ),
        "states.signing.sign_off.steps[1] (nudge): step name 'nudge' is used twice",
    ),
    (
        "a step telling an unknown role",
        _sign_off(steps=[{"name": "tell", "at": 1, "notify": ["mayor"]}]),
        "states.signing.sign_off.steps[0] (tell).notify: unknown role 'mayor'",
    ),
    (
        "a step that does nothing",
        _sign_off(steps=[{"name": "idle", "at": 1}]),
        "states.signing.sign_off.steps[0] (idle): names nobody to notify and no answer",
    ),
    (
        "a sign-off on a final state",
        lambda d: d["states"]["done"].update(sign_off={"role": "member", "quorum": 1, "sla": 2}),
        "states.done.sign_off: a final state waits for nobody's sign-off",
    ),
    (
        "a sign-off on the initial state",
        lambda d: d["states"]["draft"].update(sign_off={"role": "member", "quorum": 1, "sla": 2}),
        "states.draft.sign_off: the initial state cannot hold a sign-off",
    ),
]


@pytest.mark.parametrize(("rule", "edit", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_broken_sign_off_rule_is_refused_by_name(
    tmp_path: Path, rule: str, edit, expected: str
) -> None:
    with pytest.raises(DefinitionErrors) as caught:
        load(tmp_path, edit)
    errors = [f"{e.entry}: {e.problem}" for e in caught.value.errors]
    assert any(error.startswith(expected) for error in errors), (rule, errors)
