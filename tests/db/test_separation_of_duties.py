"""`actor_differs_from`: a definition keeps duties apart, and the one door enforces it for
every channel. Here `approve` must be fired by someone other than whoever fired `forward` on
the same plan; a user holding both roles (district reviewer and provincial reviewer) forwards
and is then refused the approval, which changes nothing; a colleague approves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.conftest import app_of_its_own, emptied_afterwards, shipped_workflows_edited
from workflow_app.engine import DutiesNotSeparated
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops


@pytest.fixture(scope="module")
def sod_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("separation_of_duties")

    def separate(definition: dict) -> None:
        for transition in definition["transitions"]:
            if transition["trigger"] == "approve":
                transition["actor_differs_from"] = ["forward"]

    workflows = shipped_workflows_edited(tmp, separate)
    with app_of_its_own(tmp, WORKFLOWS_DIR=str(workflows)) as application:
        yield application


@pytest.fixture
def ctx(sod_app: Flask) -> Iterator[Flask]:
    with emptied_afterwards(sod_app):
        yield sod_app


def _rows(plan_id: int) -> int:
    query = select(func.count()).where(CaseTransition.subject_is("plan", plan_id))
    return int(db.session.scalar(query) or 0)


def test_whoever_forwarded_may_not_approve_the_same_plan(ctx: Flask) -> None:
    drafter = factories.user("drafter.6301", ("district_drafter", "6301"))
    both = factories.user("dua.peran", ("district_reviewer", "6301"), ("provincial_reviewer", "63"))
    colleague = factories.user("provincial.63", ("provincial_reviewer", "63"))
    db.session.commit()
    plan = factories.complete_plan(drafter, "6301")
    ops.transition(drafter, plan, "submit")
    ops.transition(both, plan, "forward")
    db.session.commit()
    before = (plan.state, plan.version, _rows(plan.id))

    with pytest.raises(DutiesNotSeparated) as refused:
        ops.transition(both, plan, "approve")
    db.session.rollback()

    assert refused.value.status == 403
    assert "'approve' must be done by someone other than whoever did 'forward'" in str(
        refused.value
    )
    db.session.refresh(plan)
    assert (plan.state, plan.version, _rows(plan.id)) == before

    ops.transition(colleague, plan, "approve")
    db.session.commit()
    assert plan.state == "approved"


def test_the_rule_binds_the_person_not_the_plan(ctx: Flask) -> None:
    """Someone who forwarded another plan may approve this one."""
    drafter = factories.user("drafter.6301", ("district_drafter", "6301"))
    both = factories.user("dua.peran", ("district_reviewer", "6301"), ("provincial_reviewer", "63"))
    reviewer = factories.user("reviewer.6301", ("district_reviewer", "6301"))
    db.session.commit()
    mine = factories.complete_plan(drafter, "6301", title="Satu")
    theirs = factories.complete_plan(drafter, "6301", title="Dua")
    for plan, forwarder in ((mine, both), (theirs, reviewer)):
        ops.transition(drafter, plan, "submit")
        ops.transition(forwarder, plan, "forward")
    db.session.commit()

    ops.transition(both, theirs, "approve")
    db.session.commit()
    assert theirs.state == "approved"
