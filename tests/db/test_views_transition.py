"""Acting on a plan through the web: every refusal has its status code and leaves the plan
as it was; the whole review loop works from the browser and lands in the history."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token
from workflow_app.accounts.models import User
from workflow_app.engine import (
    CommentRequired,
    GuardFailed,
    NotAllowedFromState,
    RoleNotAllowed,
    StaleObject,
    TransitionRefused,
    UnknownTrigger,
)
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.refusals import refusal_message

Snapshot = tuple[str, int, int]


def _client_as(app: Flask, username: str) -> FlaskClient:
    """A browser already logged in as `username` (the login form itself is tested in
    test_views_auth; skipping it here saves a slow password hash per test)."""
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _snapshot(plan_id: int) -> Snapshot:
    """State, version and number of history rows, read from the database itself."""
    db.session.expire_all()
    state, version = db.session.execute(
        select(ActionPlan.state, ActionPlan.version).where(ActionPlan.id == plan_id)
    ).one()
    steps = db.session.scalar(
        select(func.count()).select_from(CaseTransition).where(CaseTransition.chain_id == plan_id)
    )
    return state, version, steps


def _version_on_page(page: str, trigger: str) -> int:
    """The version in the action form of `trigger` (or in the form with id `confirm-form`)."""
    form_id = trigger if trigger == "confirm-form" else f"action-{trigger}"
    form = page[page.index(f'id="{form_id}"') :]
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1))


def _act(
    client: FlaskClient,
    plan_id: int,
    trigger: str,
    *,
    comment: str = "",
    version: int | None = None,
    with_token: bool = True,
    confirmed: bool = False,
) -> TestResponse:
    """Post an action as a browser would: the CSRF token and version read from the pages
    (`confirmed`: from the action's confirmation page)."""
    data = {"trigger": trigger, "comment": comment}
    if confirmed:
        data["confirmed"] = "1"
    if with_token:
        data["csrf_token"] = csrf_token(client, "/tasks")
    if version is None:
        version = _snapshot(plan_id)[1]
    data["version"] = str(version)
    return client.post(f"/plans/{plan_id}/transition", data=data)


def _text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _refusal_box(response: TestResponse) -> str:
    page = _text(response)
    start = page.index('id="refusal"')
    return page[start : page.index("</div>\n", start)]


def _message(app: Flask, exc: TransitionRefused) -> str:
    with app.test_request_context():  # the same interface language as the test users'
        return refusal_message(exc)


# --- refusals ------------------------------------------------------------------------


def _incomplete_draft(users: dict) -> ActionPlan:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Belum lengkap",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    return plan


REFUSALS: list[tuple[str, Callable[[dict], ActionPlan], str, str, str, int, TransitionRefused]] = [
    (
        "unknown trigger",
        lambda users: factories.plan_in_state(users, "draft"),
        "drafter.6301",
        "explode",
        "",
        400,
        UnknownTrigger(""),
    ),
    (
        "return without comment",
        lambda users: factories.plan_in_state(users, "district_review"),
        "reviewer.6301",
        "return",
        "   ",
        400,
        CommentRequired(""),
    ),
    (
        "role not allowed",
        lambda users: factories.plan_in_state(users, "district_review"),
        "reviewer.6301",
        "approve",
        "",
        403,
        RoleNotAllowed(""),
    ),
    (
        "drafter approves",
        lambda users: factories.plan_in_state(users, "provincial_sync"),
        "drafter.6301",
        "approve",
        "",
        403,
        RoleNotAllowed(""),
    ),
    (
        "wrong state",
        lambda users: factories.plan_in_state(users, "district_review"),
        "drafter.6301",
        "submit",
        "",
        409,
        NotAllowedFromState(""),
    ),
    (
        "guard",
        _incomplete_draft,
        "drafter.6301",
        "submit",
        "",
        409,
        GuardFailed("", []),
    ),
]


@pytest.mark.parametrize(
    ("case", "make_plan", "username", "trigger", "comment", "status", "refusal"),
    REFUSALS,
    ids=[case[0] for case in REFUSALS],
)
def test_a_refused_action_says_why_and_changes_nothing(
    app_ctx,
    users,
    case: str,
    make_plan: Callable[[dict], ActionPlan],
    username: str,
    trigger: str,
    comment: str,
    status: int,
    refusal: TransitionRefused,
) -> None:
    plan = make_plan(users)
    client = _client_as(app_ctx, username)
    before = _snapshot(plan.id)

    response = _act(client, plan.id, trigger, comment=comment)

    assert response.status_code == status
    assert _snapshot(plan.id) == before
    assert _message(app_ctx, refusal) in _refusal_box(response)
    # The page is the plan page again, showing the plan as it is in the database.
    assert re.search(rf'<span class="badge tone-\w+" data-state="{before[0]}">', _text(response))


def test_a_guard_refusal_lists_what_is_missing(app_ctx, users) -> None:
    plan = _incomplete_draft(users)
    client = _client_as(app_ctx, "drafter.6301")

    response = _act(client, plan.id, "submit")

    assert response.status_code == 409
    with app_ctx.test_request_context():
        from workflow_app.plans.guards import plan_complete

        problems = plan_complete(plan)
    assert problems
    box = _refusal_box(response)
    for problem in problems:
        assert problem.message in box


def test_a_missing_comment_keeps_the_form_ready_to_fill(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "district_review")
    client = _client_as(app_ctx, "reviewer.6301")

    response = _act(client, plan.id, "return", comment="")

    assert response.status_code == 400
    page = _text(response)
    assert {"forward", "return"} <= set(re.findall(r'class="action-form" id="action-(\w+)"', page))
    assert _version_on_page(page, "return") == _snapshot(plan.id)[1]


def test_another_districts_plan_is_not_found_and_not_touched(app_ctx, users) -> None:
    plan = factories.complete_plan(users["drafter"], title="Rahasia Tanah Laut")
    db.session.commit()
    client = _client_as(app_ctx, "drafter.6304")
    before = _snapshot(plan.id)

    response = _act(client, plan.id, "submit")

    assert response.status_code == 404
    assert _snapshot(plan.id) == before
    assert "Rahasia Tanah Laut" not in _text(response)
    assert "action-form" not in _text(response)


def test_an_action_on_a_missing_plan_is_not_found(app_ctx, users) -> None:
    client = _client_as(app_ctx, "drafter.6301")

    assert _act(client, 999999, "submit", version=1).status_code == 404


def test_a_stale_action_is_refused_and_keeps_the_typed_comment(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = _client_as(app_ctx, "drafter.6301")
    seen = _version_on_page(_text(client.get(f"/plans/{plan.id}")), "submit")
    # Meanwhile the plan changes in another tab.
    ops.replace_challenges(
        users["drafter"], plan, expected_version=None, descriptions=["Diubah di tab lain"]
    )
    db.session.commit()
    before = _snapshot(plan.id)

    response = _act(client, plan.id, "submit", comment="Mohon direviu", version=seen)

    assert response.status_code == 409
    assert _snapshot(plan.id) == before
    assert _message(app_ctx, StaleObject("")) in _refusal_box(response)
    page = _text(response)
    assert re.search(r'<textarea id="comment-submit"[^>]*>\s*Mohon direviu</textarea>', page)
    assert "Diubah di tab lain" in page  # the page shows the plan as it is now
    # Having seen the current plan, the user can send the same action again.
    fresh = _version_on_page(page, "submit")
    assert fresh == before[1]
    again = _act(client, plan.id, "submit", comment="Mohon direviu", version=fresh)
    assert again.status_code == 303
    assert _snapshot(plan.id)[0] == "district_review"


def test_a_refused_action_no_longer_offered_still_shows_the_comment(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    client = _client_as(app_ctx, "reviewer.6301")

    response = _act(client, plan.id, "return", comment="Data baseline belum ada")

    # Once the plan has gone on to the province, returning it is no longer the district's.
    assert response.status_code == 403
    assert "return" not in _action_forms(_text(response))
    assert "Data baseline belum ada" in _refusal_box(response)


def test_an_action_without_csrf_token_is_refused(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = _client_as(app_ctx, "drafter.6301")
    before = _snapshot(plan.id)

    response = _act(client, plan.id, "submit", with_token=False)

    assert response.status_code == 400
    assert _snapshot(plan.id) == before


def test_an_action_without_version_is_refused(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = _client_as(app_ctx, "drafter.6301")
    before = _snapshot(plan.id)
    token = csrf_token(client, "/tasks")

    response = client.post(
        f"/plans/{plan.id}/transition", data={"trigger": "submit", "csrf_token": token}
    )

    assert response.status_code == 400
    assert _snapshot(plan.id) == before


def test_actions_are_posted_not_fetched(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = _client_as(app_ctx, "drafter.6301")

    # A GET (a reload, a copied link) only shows the plan again.
    answer = client.get(f"/plans/{plan.id}/transition?trigger=submit")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/plans/{plan.id}"
    assert _snapshot(plan.id)[0] == "draft"


def test_an_anonymous_action_goes_to_login(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = app_ctx.test_client()

    response = _act(client, plan.id, "submit", with_token=False)

    assert response.status_code in (302, 400)
    assert _snapshot(plan.id)[0] == "draft"


# --- the whole loop ------------------------------------------------------------------


def test_the_review_loop_from_the_browser_lands_in_the_history(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    drafter = _client_as(app_ctx, "drafter.6301")
    reviewer = _client_as(app_ctx, "reviewer.6301")
    provincial = _client_as(app_ctx, "provincial.63")
    steps = [
        (drafter, "submit", "", "district_review"),
        (reviewer, "forward", "", "provincial_sync"),
        (provincial, "return", "Lengkapi baseline BABS", "returned"),
        (drafter, "submit", "Baseline BABS sudah dilengkapi", "district_review"),
        (reviewer, "forward", "", "provincial_sync"),
        (provincial, "approve", "Sesuai program provinsi", "approved"),
    ]

    for client, trigger, comment, state in steps:
        page = _text(client.get(f"/plans/{plan.id}"))
        # A decision that cannot be undone is a link to its confirmation page.
        link = re.search(rf'href="([^"]+)" id="confirm-link-{trigger}"', page)
        if link:
            page = _text(client.get(link.group(1)))
            assert 'id="confirm-form"' in page, trigger
        version = _version_on_page(page, trigger if not link else "confirm-form")

        response = _act(
            client, plan.id, trigger, comment=comment, version=version, confirmed=bool(link)
        )

        assert response.status_code == 303, trigger
        assert response.headers["Location"] == f"/plans/{plan.id}"
        assert _snapshot(plan.id)[0] == state
        after = _text(client.get(f"/plans/{plan.id}"))
        assert 'class="flash flash-success"' in after
        assert re.search(rf'<span class="badge tone-\w+" data-state="{state}">', after)

    page = _text(provincial.get(f"/plans/{plan.id}"))
    history = page[page.index('class="timeline history"') :]
    entries = re.findall(r'<span class="history-states">([^<]*)</span>', history)
    assert entries == [
        "Draf",
        "Draf → Reviu Kabupaten/Kota",
        "Reviu Kabupaten/Kota → Sinkronisasi Provinsi",
        "Sinkronisasi Provinsi → Dikembalikan",
        "Dikembalikan → Reviu Kabupaten/Kota",
        "Reviu Kabupaten/Kota → Sinkronisasi Provinsi",
        "Sinkronisasi Provinsi → Disetujui",
    ]
    triggers = re.findall(r'<span class="history-trigger">([^<]*)</span>', history)
    assert triggers[1:] == [
        "Ajukan",
        "Teruskan ke Provinsi",
        "Kembalikan",
        "Ajukan",
        "Teruskan ke Provinsi",
        "Setujui",
    ]
    actors = re.findall(r"<small class=\"muted\">\(([a-z0-9.]+)\)</small>", history)
    assert actors == [
        "drafter.6301",
        "drafter.6301",
        "reviewer.6301",
        "provincial.63",
        "drafter.6301",
        "reviewer.6301",
        "provincial.63",
    ]
    assert "Lengkapi baseline BABS" in history
    assert "Baseline BABS sudah dilengkapi" in history
    assert "Sesuai program provinsi" in history  # the approval's comment
    assert page.count("WITA</time>") == 7
    assert _action_forms(page) == {"start_monitoring"}


def _action_forms(page: str) -> set[str]:
    return set(re.findall(r'class="action-form[\w -]*" id="action-(\w+)"', page))
