"""Reading plans through the web: my tasks, the scoped plans list and the plan page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import guards
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan


def _users_of(users: dict, code: str) -> dict:
    """The `users` dict with the drafter and reviewer of district `code` in their places."""
    if code == "6301":
        return users
    return dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])


def _client_as(app: Flask, username: str) -> FlaskClient:
    """A browser already logged in as `username` (the login form itself is tested in
    test_views_auth; skipping it here saves a slow password hash per test)."""
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return html.unescape(response.get_data(as_text=True))


def _task_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="task-(\d+)"', page)]


def _listed_ids(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="plan-(\d+)"', page)}


def _action_triggers(page: str) -> set[str]:
    """The actions offered: a form each, or a link to its confirmation page (`confirm`)."""
    return set(
        re.findall(r'<(?:form|div) [^>]*class="action-form[a-z -]*" id="action-([a-z_]+)"', page)
    )


# --- my tasks ------------------------------------------------------------------------


@pytest.fixture
def plans_in_flow(users) -> dict[str, ActionPlan]:
    """A complete draft, a plan in district review and one in provincial sync, all in 6301."""
    return {
        "draft": factories.plan_in_state(users, "draft"),
        "district_review": factories.plan_in_state(users, "district_review"),
        "provincial_sync": factories.plan_in_state(users, "provincial_sync"),
    }


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("drafter.6301", ["draft"]),
        ("reviewer.6301", ["district_review"]),
        ("provincial.63", ["provincial_sync"]),
        ("drafter.6304", []),
        ("reviewer.6304", []),
        ("mitra.demo", []),
        ("head.6301", []),
    ],
)
def test_my_tasks_lists_what_waits_for_each_role(
    app_ctx, plans_in_flow, username: str, expected: list[str]
) -> None:
    page = _text(_client_as(app_ctx, username), "/tasks")

    assert _task_ids(page) == [plans_in_flow[state].id for state in expected]
    if not expected:
        assert 'class="empty-state"' in page


def test_my_tasks_shows_the_plan_and_the_actions_available(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "district_review")

    page = _text(_client_as(app_ctx, "reviewer.6301"), "/tasks")

    row = page[page.index(f'id="task-{plan.id}"') :]
    row = row[: row.index("</tr>")]
    for expected in ("Tanah Laut", "Rencana Aksi", "2025–2029", "Reviu Kabupaten/Kota", "WITA"):
        assert expected in row
    assert "Teruskan ke Provinsi" in row and "Kembalikan" in row  # forward, return
    assert "Setujui" not in row  # approve is the province's


def test_my_tasks_puts_a_deadline_before_the_longest_waiting(app_ctx, users) -> None:
    first = factories.complete_plan(users["drafter"])
    second = factories.complete_plan(users["drafter"])
    db.session.commit()
    # The older plan goes round the loop and comes back: it has waited less since, but a
    # returned plan has a deadline and a draft has none. (More orderings: test_deadline_display.)
    ops.transition(users["drafter"], first, "submit")
    ops.transition(users["reviewer"], first, "return", comment="Perbaiki")
    db.session.commit()

    page = _text(_client_as(app_ctx, "drafter.6301"), "/tasks")

    assert _task_ids(page) == [first.id, second.id]


def test_my_tasks_and_the_list_cost_the_same_queries_for_one_plan_or_many(app_ctx, users) -> None:
    factories.plan_in_state(users, "district_review")
    client = _client_as(app_ctx, "reviewer.6301")
    one = {url: len(statements_of_a_get(app_ctx, client, url)) for url in ("/tasks", "/plans")}

    for _ in range(4):
        factories.plan_in_state(users, "district_review")
    many = {url: len(statements_of_a_get(app_ctx, client, url)) for url in ("/tasks", "/plans")}

    assert many == one


# --- the plans list ------------------------------------------------------------------


@pytest.fixture
def spread(users) -> dict[str, ActionPlan]:
    """Plans of two districts in different states."""
    return {
        "draft_6301": factories.plan_in_state(users, "draft"),
        "approved_6301": factories.plan_in_state(users, "approved"),
        "review_6304": factories.plan_in_state(_users_of(users, "6304"), "district_review", "6304"),
        "approved_6304": factories.plan_in_state(_users_of(users, "6304"), "approved", "6304"),
    }


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("drafter.6301", {"draft_6301", "approved_6301"}),
        ("drafter.6304", {"review_6304", "approved_6304"}),
        ("provincial.63", {"draft_6301", "approved_6301", "review_6304", "approved_6304"}),
        ("mitra.demo", {"approved_6301"}),  # a partner reads approved plans of its region only
    ],
)
def test_the_plans_list_shows_only_what_the_user_may_see(
    app_ctx, spread, username: str, visible: set[str]
) -> None:
    page = _text(_client_as(app_ctx, username), "/plans")

    assert _listed_ids(page) == {spread[name].id for name in visible}


def test_the_plans_list_filters_by_region_and_state(app_ctx, spread) -> None:
    client = _client_as(app_ctx, "provincial.63")

    by_region = _listed_ids(_text(client, "/plans?region=6304"))
    by_state = _listed_ids(_text(client, "/plans?state=approved"))
    both = _listed_ids(_text(client, "/plans?region=6301&state=approved"))

    assert by_region == {spread["review_6304"].id, spread["approved_6304"].id}
    assert by_state == {spread["approved_6301"].id, spread["approved_6304"].id}
    assert both == {spread["approved_6301"].id}
    assert _listed_ids(_text(client, "/plans?state=closed")) == set()


def test_the_region_filter_cannot_widen_what_a_user_sees(app_ctx, spread) -> None:
    page = _text(_client_as(app_ctx, "drafter.6301"), "/plans?region=6304")

    assert _listed_ids(page) == set()


def test_only_drafters_are_offered_a_new_plan(app, app_ctx, users) -> None:
    drafter_page = _text(_client_as(app_ctx, "drafter.6301"), "/plans")
    reviewer_page = _text(_client_as(app_ctx, "reviewer.6301"), "/plans")

    assert 'id="new-plan"' not in reviewer_page
    # The editing pages are a separate module; the link appears as soon as they exist.
    assert ('id="new-plan"' in drafter_page) == ("plans.new" in app.view_functions)


# --- the plan page -------------------------------------------------------------------


def test_a_plan_of_another_district_is_not_found_like_a_missing_one(app_ctx, spread) -> None:
    client = _client_as(app_ctx, "drafter.6304")
    hidden = client.get(f"/plans/{spread['draft_6301'].id}")
    missing = client.get("/plans/999999")

    assert hidden.status_code == missing.status_code == 404
    # The same page, but for the CSRF token of the logout form (signed with the current time).
    token = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')
    assert token.sub("", hidden.get_data(as_text=True)) == token.sub(
        "", missing.get_data(as_text=True)
    )


def test_a_partner_cannot_open_a_plan_that_is_not_published(app_ctx, spread) -> None:
    client = _client_as(app_ctx, "mitra.demo")

    assert client.get(f"/plans/{spread['draft_6301'].id}").status_code == 404
    assert client.get(f"/plans/{spread['approved_6304'].id}").status_code == 404
    page = _text(client, f"/plans/{spread['approved_6301'].id}")
    assert _action_triggers(page) == set()


def test_the_plan_page_shows_the_whole_plan(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")

    page = _text(_client_as(app_ctx, "reviewer.6301"), f"/plans/{plan.id}")

    for expected in (
        "Tanah Laut",
        "Rencana Aksi",
        "2025–2029",
        "Draf",  # state badge
        "Rencana Aksi Sanitasi",  # the workflow
        "Cakupan LLTT masih rendah",  # challenge
        "% rumah tangga dengan akses sanitasi aman",  # indicator
        "Layanan LLTT",  # activity
        "Pelaihari",
        "tangki septik/tahun",
        "Dinas PUPR",
        "Rp850.000.000",
        "drafter.6301",  # who created it, in the history
    ):
        assert expected in page, expected
    headers = re.findall(r'<th scope="col" class="num">(\d{4})</th>', page)
    assert headers == ["2025", "2026", "2027", "2028", "2029"]  # a target column per year
    row = page[page.index("% rumah tangga dengan akses sanitasi aman") :]
    row = row[: row.index("</tr>")]
    assert re.search(r">6 <small[^>]*>\(2024\)</small>", row)  # baseline value (year)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row) == ["6", "9", "12", "15", "18"]


@pytest.mark.parametrize(
    ("state", "username", "triggers"),
    [
        ("draft", "drafter.6301", {"submit", "withdraw"}),
        ("draft", "head.6301", {"withdraw"}),
        ("draft", "reviewer.6301", set()),
        ("draft", "provincial.63", set()),
        ("district_review", "reviewer.6301", {"forward", "return"}),
        ("district_review", "drafter.6301", set()),
        ("district_review", "provincial.63", set()),
        ("provincial_sync", "provincial.63", {"approve", "return"}),
        ("provincial_sync", "reviewer.6301", set()),
        ("returned", "drafter.6301", {"submit", "withdraw"}),
        ("approved", "provincial.63", {"start_monitoring"}),
        ("approved", "mitra.demo", set()),
        ("monitored", "provincial.63", {"close"}),
        ("monitored", "head.63", {"close"}),
        ("closed", "head.63", set()),
    ],
)
def test_the_plan_page_offers_only_the_actions_the_user_may_take_now(
    app_ctx, users, state: str, username: str, triggers: set[str]
) -> None:
    plan = factories.plan_in_state(users, state)

    page = _text(_client_as(app_ctx, username), f"/plans/{plan.id}")

    assert _action_triggers(page) == triggers


def test_an_action_that_needs_a_comment_marks_the_field_required(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "district_review")

    page = _text(_client_as(app_ctx, "reviewer.6301"), f"/plans/{plan.id}")

    assert re.search(r'<textarea id="comment-return"[^>]* required', page)
    assert not re.search(r'<textarea id="comment-forward"[^>]* required', page)


def test_the_drafter_sees_what_blocks_submission(app, app_ctx, users) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Belum lengkap",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    with app.test_request_context():
        problems = guards.plan_complete(plan)
    assert problems

    page = _text(_client_as(app_ctx, "drafter.6301"), f"/plans/{plan.id}")

    checklist = page[page.index('id="checklist-submit"') :]
    checklist = checklist[: checklist.index("</ul>")]
    for problem in problems:
        assert problem.message in checklist


def test_a_complete_draft_shows_no_blocking_problem(app_ctx, users) -> None:
    plan = factories.plan_in_state(users, "draft")

    page = _text(_client_as(app_ctx, "drafter.6301"), f"/plans/{plan.id}")

    assert "submit" in _action_triggers(page)
    assert 'id="checklist-submit"' not in page


def test_edit_links_only_while_the_drafter_may_edit(app, app_ctx, users) -> None:
    draft = factories.plan_in_state(users, "draft")
    in_review = factories.plan_in_state(users, "district_review")
    drafter = _client_as(app_ctx, "drafter.6301")
    reviewer = _client_as(app_ctx, "reviewer.6301")

    # The editing pages (export and print links are for every reader, so they do not count).
    def editing_links(page: str, plan_id: int) -> list[str]:
        return re.findall(
            rf'href="/plans/{plan_id}/(?:edit|challenges|indicators|activities|import)[^"]*"',
            page,
        )

    assert editing_links(_text(drafter, f"/plans/{draft.id}"), draft.id)
    assert editing_links(_text(reviewer, f"/plans/{draft.id}"), draft.id) == []
    assert editing_links(_text(drafter, f"/plans/{in_review.id}"), in_review.id) == []


def test_a_long_task_list_shows_the_earliest_due_first_and_the_rest_on_demand(
    app_ctx, users, monkeypatch
) -> None:
    import workflow_app.plans.views as plan_views

    monkeypatch.setattr(plan_views, "TASKS_SHOWN", 2)
    in_review = [factories.plan_in_state(users, "district_review") for _ in range(3)]
    # The last one submitted is due first.
    for days, plan in zip((3, 2, 1), in_review, strict=True):
        plan.due_at = plan.due_at.replace(day=1) + timedelta(days=days)
    db.session.commit()
    reviewer = _client_as(app_ctx, "reviewer.6301")

    page = _text(reviewer, "/tasks")
    assert _task_ids(page) == [in_review[2].id, in_review[1].id]
    assert 'id="more-tasks"' in page and "/tasks?all=1" in page

    everything = _text(reviewer, "/tasks?all=1")
    assert _task_ids(everything) == [p.id for p in reversed(in_review)]
    assert 'id="more-tasks"' not in everything


def test_a_full_page_of_my_tasks_is_counted_without_a_query_of_its_own(
    app_ctx, users, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More plans and more reports wait for the provincial reviewer than a page shows: each
    list's rows carry the number of candidates (a window count), so no list has a count query
    of its own, and the calendar is read once for the plans' and the reports' deadlines. The
    statements: the user, the plans, the calendar, the reports, whether a declared kind has
    a case waiting (one for all; its tasks are read only if so), the sign-offs asked
    (counted, not timed: 11 before, 7 with a statement per declared kind)."""
    from workflow_app.plans import views

    monkeypatch.setattr(views, "TASKS_SHOWN", 2)
    for code in ("6301", "6304", "6371"):
        factories.plan_in_state(factories.district_people(users, code), "provincial_sync", code)
        factories.reported_plan(users, code)
    client = _client_as(app_ctx, "provincial.63")

    page = _text(client, "/tasks")
    statements = len(statements_of_a_get(app_ctx, client, "/tasks"))

    assert len(_task_ids(page)) == 2
    assert "Menampilkan 2 rencana dengan tenggat terdekat dari 3." in page
    assert page.count('id="report-task-') == 2
    assert "Menampilkan 2 laporan dengan tenggat terdekat dari 3." in page
    assert statements <= 6
