"""The attack pass's finding, on the shipped definitions: one person given two delegations
could submit, forward and approve the same plan alone. Version 2 of the action plan workflow
says that forward and approve need someone other than whoever submitted (and forwarded); the
one door refuses it on every channel, and a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts import delegations
from workflow_app.accounts.models import wita_today
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops


def _delegate(users: dict, role_holder: str, role: str, code: str, to: object) -> None:
    delegations.create_delegation(
        users["admin"],
        delegator=users[role_holder],
        delegate=to,
        role=role,
        region=factories.regions()[code],
        starts_on=wita_today(),
        ends_on=wita_today() + timedelta(days=7),
    )


def _rows(plan_id: int) -> int:
    query = select(func.count()).where(CaseTransition.subject_is("plan", plan_id))
    return int(db.session.scalar(query) or 0)


def test_one_person_with_two_delegations_cannot_carry_a_plan_alone(
    app_ctx: Flask, users: dict
) -> None:
    # A drafter of 6301 who is also an official of the province (the provincial head), so
    # that both delegations are allowed: one person who may stand in on either side.
    plt = factories.user("plt.6301", ("district_drafter", "6301"), ("provincial_head", "63"))
    _delegate(users, "reviewer", "district_reviewer", "6301", plt)
    _delegate(users, "provincial", "provincial_reviewer", "63", plt)
    db.session.commit()
    plan = factories.complete_plan(plt, "6301")
    ops.transition(plt, plan, "submit")
    db.session.commit()
    before = (plan.state, plan.version, _rows(plan.id))

    browser = signed_in(app_ctx, "plt.6301")
    url = f"/plans/{plan.id}"
    refused = browser.post(
        f"{url}/transition",
        data={
            "csrf_token": csrf_token(browser, url),
            "trigger": "forward",
            "version": plan.version,
        },
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert (plan.state, plan.version, _rows(plan.id)) == before

    # The real reviewer forwards; the same Plt, now acting as the provincial reviewer, may
    # not approve what they submitted (API), nor may whoever forwarded it.
    ops.transition(users["reviewer"], plan, "forward")
    token = factories.api_token(plt)
    db.session.commit()
    answer = app_ctx.test_client().post(
        f"/api/v1/plans/{plan.id}/transitions",
        json={"trigger": "approve", "version": plan.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403 and answer.get_json()["code"] == "duties_not_separated"
    assert plan.state == "provincial_sync"
    ops.transition(users["provincial"], plan, "approve")
    db.session.commit()
    assert plan.state == "approved"
