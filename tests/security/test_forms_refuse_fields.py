"""Forms ignore the fields a user may not set: posting a region, a state, an author, an
approver or another plan's id next to the real fields changes none of them."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews.models import ReviewComment

from .. import factories
from ..conftest import csrf_token, login


def _signed_in(app: Flask, username: str, page: str) -> tuple[object, str]:
    client = app.test_client()
    login(client, username)
    return client, csrf_token(client, page)


def _extras(users: dict[str, User], other_plan: ActionPlan) -> dict[str, str]:
    """Fields no form of the app offers, aimed at another district and another person."""
    stranger = str(users["other_drafter"].id)
    return {
        "region": "6304",
        "region_id": str(other_plan.region_id),
        "state": "approved",
        "created_by_id": stranger,
        "author_id": stranger,
        "actor_id": stranger,
        "acting_for_id": stranger,
        "approver_id": stranger,
        "plan_id": str(other_plan.id),
        "definition_version": "99",
    }


def test_a_new_plan_takes_only_title_and_period(app_ctx: Flask, users: dict[str, User]) -> None:
    other = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    client, token = _signed_in(app_ctx, "drafter.6301", "/plans/new")
    form = {"title": "Rencana Baru", "period_start": "2025", "period_end": "2029"}
    response = client.post(
        "/plans/new", data={**_extras(users, other), **form, "csrf_token": token}
    )
    assert response.status_code == 303
    plan = db.session.scalar(select(ActionPlan).where(ActionPlan.title == "Rencana Baru"))
    assert plan is not None
    assert (plan.region.code, plan.state, plan.created_by_id) == (
        "6301",
        "draft",
        users["drafter"].id,
    )


def test_the_header_form_changes_only_title_and_period(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    other = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    plan_id, version, other_id = plan.id, plan.version, other.id
    client, token = _signed_in(app_ctx, "drafter.6301", f"/plans/{plan_id}/edit")
    form = {"title": "Judul Baru", "period_start": "2025", "period_end": "2029"}
    response = client.post(
        f"/plans/{plan_id}/edit",
        data={**_extras(users, other), **form, "version": str(version), "csrf_token": token},
    )
    assert response.status_code == 303
    db.session.expire_all()
    plan, other = db.session.get(ActionPlan, plan_id), db.session.get(ActionPlan, other_id)
    assert plan.title == "Judul Baru"
    assert (plan.region.code, plan.state, plan.created_by_id) == (
        "6301",
        "draft",
        users["drafter"].id,
    )
    assert (other.title, other.region.code) == ("Rencana Aksi", "6304")


def test_an_action_records_the_real_actor_and_its_own_target(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    plan = factories.complete_plan(users["drafter"])
    other = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    plan_id, version = plan.id, plan.version
    client, token = _signed_in(app_ctx, "drafter.6301", f"/plans/{plan_id}")
    fields = {**_extras(users, other), "to_state": "approved"}
    response = client.post(
        f"/plans/{plan_id}/transition",
        data={**fields, "trigger": "submit", "version": str(version), "csrf_token": token},
    )
    assert response.status_code == 303
    db.session.expire_all()
    step = db.session.scalar(
        select(CaseTransition)
        .where(CaseTransition.chain_id == plan_id)
        .order_by(CaseTransition.id.desc())
    )
    assert (step.to_state, step.actor_id, step.acting_for_id) == (
        "district_review",
        users["drafter"].id,
        None,
    )
    assert db.session.get(ActionPlan, other.id).state == "draft"


def test_a_comment_is_by_its_writer_on_the_plan_of_the_url(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    other = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    plan_id = plan.id
    client, token = _signed_in(app_ctx, "reviewer.6301", f"/plans/{plan_id}")
    response = client.post(
        f"/plans/{plan_id}/comments",
        data={
            **_extras(users, other),
            "item_type": "plan",
            "item_id": "",
            "body": "Lengkapi baseline",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    comments = db.session.scalars(select(ReviewComment)).all()
    assert [(c.plan_id, c.author_id) for c in comments] == [(plan_id, users["reviewer"].id)]
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 1
