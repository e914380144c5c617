"""Approving and returning plans straight from the provincial sync workspace: the forms post to
the plan's transition endpoint and, on success, bring the reviewer back to /sync; approval
cannot be undone, so its button leads to the plan's confirmation page first, which posts with
the same `next`; a `next` pointing anywhere else is ignored; a return without a comment changes
nothing."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.conftest import signed_in
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans.models import ActionPlan


def _sync_form(client: FlaskClient, trigger: str, plan_id: int, url: str = "/sync") -> dict:
    """The fields of the workspace's `trigger` form for the plan, as a browser would send them."""
    response = client.get(url)
    assert response.status_code == 200
    return _form_fields(response.get_data(as_text=True), f"sync-action-{trigger}-{plan_id}")


def _approval_form(client: FlaskClient, plan_id: int, url: str = "/sync") -> dict:
    """The fields of the confirmation page the workspace's approve button leads to."""
    page = client.get(url).get_data(as_text=True)
    link = re.search(rf'<a[^>]*id="sync-action-approve-{plan_id}"[^>]*>', page)
    assert link, f"no approve button for plan {plan_id} on {url}"
    href = html.unescape(re.search(r'href="([^"]+)"', link[0])[1])
    response = client.get(href)
    assert response.status_code == 200
    return _form_fields(response.get_data(as_text=True), "confirm-form")


def _form_fields(page: str, form_id: str) -> dict:
    match = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert match, f"no form {form_id}"
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', match[0])
    }
    # WTForms renders value before name on some inputs; read both orders.
    fields.update(
        {
            name: html.unescape(value)
            for value, name in re.findall(
                r'<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"', match[0]
            )
        }
    )
    return fields


def _snapshot(plan_id: int) -> tuple[str, int, int]:
    db.session.expire_all()
    state, version = db.session.execute(
        select(ActionPlan.state, ActionPlan.version).where(ActionPlan.id == plan_id)
    ).one()
    steps = db.session.scalar(
        select(func.count()).select_from(CaseTransition).where(CaseTransition.chain_id == plan_id)
    )
    return state, version, steps


def test_approve_from_sync_lands_back_on_sync_with_the_plan_approved(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    url = "/sync?state=provincial_sync"
    fields = _approval_form(client, plan.id, url)
    assert fields["next"] == url and fields["trigger"] == "approve"
    assert _snapshot(plan.id)[0] == "provincial_sync"  # not before it is confirmed

    response = client.post(f"/plans/{plan.id}/transition", data=fields)

    assert response.status_code == 303
    assert response.headers["Location"] == url
    assert _snapshot(plan.id)[0] == "approved"
    page = client.get("/sync").get_data(as_text=True)
    row = re.search(r'<tr id="row-6301".*?</tr>', page, re.S)
    assert row and 'data-state="approved"' in row[0]
    assert f'id="sync-action-approve-{plan.id}"' not in page  # nothing left to approve


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/sync",
        "//evil.example/sync",
        "/\\evil.example/sync",
        "javascript:alert(1)",
        "sync",
    ],
)
def test_a_next_pointing_off_site_is_ignored(app_ctx: Flask, users: dict, target: str) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    fields = _approval_form(client, plan.id) | {"next": target}

    response = client.post(f"/plans/{plan.id}/transition", data=fields)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/plans/{plan.id}"
    assert _snapshot(plan.id)[0] == "approved"


def test_return_without_a_comment_is_refused_and_changes_nothing(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    before = _snapshot(plan.id)
    client = signed_in(app_ctx, "provincial.63")
    page = client.get("/sync").get_data(as_text=True)
    textarea = re.search(rf'<textarea[^>]*id="sync-comment-return-{plan.id}"[^>]*>', page)
    assert textarea and "required" in textarea[0]  # the browser asks for it first
    fields = _sync_form(client, "return", plan.id) | {"comment": "  "}

    response = client.post(f"/plans/{plan.id}/transition", data=fields)

    assert response.status_code == 400
    assert 'id="refusal"' in response.get_data(as_text=True)  # the plan page says why
    assert _snapshot(plan.id) == before


def test_return_with_a_comment_lands_back_on_sync(app_ctx: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    db.session.commit()
    client = signed_in(app_ctx, "provincial.63")
    fields = _sync_form(client, "return", plan.id) | {"comment": "Target 2027 terlalu rendah"}

    response = client.post(f"/plans/{plan.id}/transition", data=fields)

    assert (response.status_code, response.headers["Location"]) == (303, "/sync")
    assert _snapshot(plan.id)[0] == "returned"
    comments = db.session.scalars(
        select(CaseTransition.comment).where(CaseTransition.chain_id == plan.id)
    ).all()
    assert "Target 2027 terlalu rendah" in comments


def test_forms_only_for_plans_at_the_province_and_users_who_may_act(
    app_ctx: Flask, users: dict
) -> None:
    waiting = factories.plan_in_state(users, "provincial_sync")
    other = dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])
    in_review = factories.plan_in_state(other, "district_review", "6304")
    db.session.commit()

    reviewer_page = signed_in(app_ctx, "provincial.63").get("/sync").get_data(as_text=True)
    head_response = signed_in(app_ctx, "head.63").get("/sync")
    assert head_response.status_code == 200
    head_page = head_response.get_data(as_text=True)

    assert f'id="sync-action-approve-{waiting.id}"' in reviewer_page
    assert f'id="sync-action-approve-{in_review.id}"' not in reviewer_page
    assert f"sync-action-return-{in_review.id}" not in reviewer_page
    # The provincial head reads the workspace but the workflow gives approval to the reviewer.
    assert "sync-action-" not in head_page
