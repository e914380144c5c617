"""The JSON API /api/v1: the same access rules and operations as the web, bearer tokens only,
and one error shape with stable codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from workflow_app.api.models import ApiToken
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.models_base import utcnow
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

from .. import factories
from ..conftest import login


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    """An Authorization header per standard user."""
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code
    # A stale answer also says where the case stands now.
    assert set(body) - {"current_version", "current_state"} == {
        "code",
        "message",
        "fields",
        "problems",
    }
    assert body["message"]
    return body


def history_count(plan_id: int) -> int:
    query = select(func.count()).where(CaseTransition.chain_id == plan_id)
    return db.session.scalar(query)


# --- authentication ----------------------------------------------------------------------


def test_without_a_token_the_api_answers_401_json(client: FlaskClient, users) -> None:
    response = client.get("/api/v1/plans")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_is_not_accepted_by_the_api(client: FlaskClient, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    login(client, "drafter.6301")
    assert client.get("/plans").status_code == 200  # the session works on the web
    assert_error(client.get(f"/api/v1/plans/{plan.id}"), 401, "unauthorized")
    sent = {"trigger": "submit", "version": plan.version}
    assert_error(
        client.post(f"/api/v1/plans/{plan.id}/transitions", json=sent), 401, "unauthorized"
    )
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).state == "draft"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic abc", "Bearer ", "Token x"])
def test_unknown_or_malformed_tokens_are_refused(client: FlaskClient, users, header) -> None:
    assert_error(
        client.get("/api/v1/plans", headers={"Authorization": header}), 401, "unauthorized"
    )


def test_revoked_expired_and_disabled_tokens_are_refused(client: FlaskClient, users) -> None:
    revoked = factories.api_token(users["drafter"], "old")
    expired = factories.api_token(users["reviewer"], "short", days=1)
    disabled = factories.api_token(users["head"], "head's")
    good = factories.api_token(users["provincial"], "ok")
    now = utcnow()
    rows = {t.name: t for t in db.session.scalars(select(ApiToken))}
    rows["old"].revoked_at = now
    rows["short"].expires_at = now - timedelta(seconds=1)
    users["head"].active = False
    db.session.commit()
    for secret in (revoked, expired, disabled):
        assert_error(client.get("/api/v1/plans", headers=bearer(secret)), 401, "unauthorized")
    assert client.get("/api/v1/plans", headers=bearer(good)).status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(client: FlaskClient, users) -> None:
    secret = factories.api_token(users["drafter"])
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is None
    assert client.get("/api/v1/tasks", headers=bearer(secret)).status_code == 200
    db.session.expire_all()
    first = token.last_used_at
    assert first is not None
    assert client.get("/api/v1/tasks", headers=bearer(secret)).status_code == 200
    db.session.expire_all()
    assert token.last_used_at == first  # within the minute: no write
    token.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    assert client.get("/api/v1/tasks", headers=bearer(secret)).status_code == 200
    db.session.expire_all()
    assert token.last_used_at > first - timedelta(minutes=2)


# --- reading plans -----------------------------------------------------------------------


def test_plans_list_shows_only_what_the_caller_may_see(client: FlaskClient, users, tokens) -> None:
    own = factories.plan_in_state(users, "draft")
    other = factories.complete_plan(users["other_drafter"], "6304", title="Rencana Batola")
    db.session.commit()
    body = client.get("/api/v1/plans", headers=tokens["drafter"]).get_json()
    assert [p["id"] for p in body["items"]] == [own.id]
    assert body["total"] == 1
    assert body["items"][0]["region"] == {"code": "6301", "name": own.region.name}
    assert body["items"][0]["state"] == "draft"
    assert body["items"][0]["state_label"]["en"]
    # The province sees both; a partner sees neither (drafts are not published).
    provincial = client.get("/api/v1/plans", headers=tokens["provincial"]).get_json()
    assert {p["id"] for p in provincial["items"]} == {own.id, other.id}
    assert client.get("/api/v1/plans", headers=tokens["partner"]).get_json()["items"] == []


def test_plans_list_filters_and_pages(client: FlaskClient, users, tokens) -> None:
    draft = factories.plan_in_state(users, "draft")  # 2025–2029
    review = factories.plan_in_state(users, "district_review")  # 6301's next period: 2030–2034
    other = factories.complete_plan(users["other_drafter"], "6304")  # 2025–2029
    db.session.commit()
    admin = tokens["admin"]

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/plans{query}", headers=admin)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [p["id"] for p in response.get_json()["items"]]

    assert ids("?region=6304") == [other.id]
    assert ids("?state=district_review") == [review.id]
    assert ids("?year=2027") == [draft.id, other.id]
    assert ids("?year=2031") == [review.id]
    assert ids("?year=2036") == []
    page = client.get("/api/v1/plans?limit=2&offset=1", headers=admin).get_json()
    assert [p["id"] for p in page["items"]] == [review.id, other.id]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("region=%27%20OR%201=1", "region"),
        ("state=DRAFT", "state"),
        ("year=20x", "year"),
    ],
)
def test_bad_filters_are_a_validation_error_naming_the_field(
    client: FlaskClient, users, tokens, query: str, field: str
) -> None:
    body = assert_error(
        client.get(f"/api/v1/plans?{query}", headers=tokens["admin"]), 400, "validation_error"
    )
    assert field in body["fields"]


def test_plan_detail_has_contents_and_the_callers_actions(
    client: FlaskClient, users, tokens
) -> None:
    plan = factories.plan_in_state(users, "draft")
    body = client.get(f"/api/v1/plans/{plan.id}", headers=tokens["drafter"]).get_json()
    assert body["id"] == plan.id
    assert body["version"] == plan.version
    assert body["challenges"] == ["Cakupan LLTT masih rendah"]
    indicator = body["indicators"][0]
    assert indicator["baseline_value"] == "6.00"
    assert [t["year"] for t in indicator["targets"]] == [2025, 2026, 2027, 2028, 2029]
    activity = body["activities"][0]
    assert activity["funding"] == [{"year": 2026, "source": "apbd_district", "amount": 850_000_000}]
    assert activity["agency"]["short_name"] == "Dinas PUPR"
    triggers = {t["trigger"]: t for t in body["transitions"]}
    assert set(triggers) == {"submit", "withdraw"}
    assert triggers["submit"]["problems"] == []
    # The reviewer may read the draft but has nothing to do on it.
    reviewer = client.get(f"/api/v1/plans/{plan.id}", headers=tokens["reviewer"]).get_json()
    assert reviewer["transitions"] == []


def test_another_districts_plan_is_not_found(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    for path in ("", "/history", "/transitions", "/reports"):
        response = client.get(f"/api/v1/plans/{plan.id}{path}", headers=tokens["other_drafter"])
        assert_error(response, 404, "not_found")
    # A draft is not published: the partner of the region cannot see it either.
    assert_error(
        client.get(f"/api/v1/plans/{plan.id}", headers=tokens["partner"]), 404, "not_found"
    )
    assert_error(client.get("/api/v1/plans/999999", headers=tokens["admin"]), 404, "not_found")
    assert_error(client.get("/api/v1/plans/99999999999", headers=tokens["admin"]), 404, "not_found")


def test_history_names_who_did_what(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "returned")
    body = client.get(f"/api/v1/plans/{plan.id}/history", headers=tokens["head"]).get_json()
    steps = [(e["trigger"], e["from_state"], e["to_state"]) for e in body["items"]]
    assert steps == [
        ("create", None, "draft"),
        ("submit", "draft", "district_review"),
        ("return", "district_review", "returned"),
    ]
    assert body["items"][2]["actor"]["username"] == "reviewer.6301"
    assert body["items"][2]["comment"] == "Lengkapi baseline"


def test_available_transitions_say_when_a_comment_is_needed(
    client: FlaskClient, users, tokens
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    body = client.get(f"/api/v1/plans/{plan.id}/transitions", headers=tokens["reviewer"]).get_json()
    required = {t["trigger"]: t["comment_required"] for t in body["items"]}
    assert required == {"forward": False, "return": True}


def test_guard_problems_are_listed_before_firing(client: FlaskClient, users, tokens) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Baru",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    body = client.get(f"/api/v1/plans/{plan.id}/transitions", headers=tokens["drafter"]).get_json()
    submit = next(t for t in body["items"] if t["trigger"] == "submit")
    assert [(p["field"], p["code"]) for p in submit["problems"]] == [
        ("activities", "no_activities")
    ]
    assert submit["problems"][0]["message"] == "The plan has no activity yet."


# --- firing transitions ------------------------------------------------------------------


def fire(client: FlaskClient, headers: dict, plan_id: int, **sent):
    return client.post(f"/api/v1/plans/{plan_id}/transitions", json=sent, headers=headers)


def test_a_transition_goes_through_the_workflow(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    version = plan.version
    response = fire(client, tokens["drafter"], plan.id, trigger="submit", version=version)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["state"] == "district_review"
    assert body["version"] > version
    assert body["history"]["actor"]["username"] == "drafter.6301"
    assert body["history"]["to_state"] == "district_review"
    # The reviewer returns it with a comment, on the version the API reported.
    response = fire(
        client,
        tokens["reviewer"],
        plan.id,
        trigger="return",
        comment="Lengkapi",
        version=body["version"],
    )
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(ActionPlan, plan.id)
    assert stored.state == "returned"
    assert stored.history[-1].comment == "Lengkapi"


def test_a_stale_version_is_409_and_changes_nothing(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    old = plan.version
    ops.replace_challenges(users["drafter"], plan, expected_version=None, descriptions=["Baru"])
    db.session.commit()
    before = history_count(plan.id)
    body = assert_error(
        fire(client, tokens["drafter"], plan.id, trigger="submit", version=old), 409, "stale"
    )
    assert "reload" in body["message"]
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).state == "draft"
    assert history_count(plan.id) == before


@pytest.mark.parametrize(
    ("who", "state", "sent", "status", "code"),
    [
        ("reviewer", "district_review", {"trigger": "return"}, 400, "comment_required"),
        (
            "reviewer",
            "district_review",
            {"trigger": "return", "comment": "  "},
            400,
            "comment_required",
        ),
        ("reviewer", "district_review", {"trigger": "explode"}, 400, "unknown_trigger"),
        ("drafter", "district_review", {"trigger": "forward"}, 403, "forbidden"),
        ("partner", "approved", {"trigger": "close"}, 403, "forbidden"),
        ("provincial", "district_review", {"trigger": "approve"}, 409, "invalid_state"),
        ("other_drafter", "draft", {"trigger": "submit"}, 404, "not_found"),
    ],
)
def test_refusals_map_to_the_webs_statuses(
    client: FlaskClient, users, tokens, who, state, sent, status, code
) -> None:
    plan = factories.plan_in_state(users, state)
    before = (plan.state, plan.version, history_count(plan.id))
    assert_error(fire(client, tokens[who], plan.id, version=plan.version, **sent), status, code)
    db.session.expire_all()
    after = db.session.get(ActionPlan, plan.id)
    assert (after.state, after.version, history_count(plan.id)) == before


def test_an_incomplete_plan_is_refused_with_its_problems(
    client: FlaskClient, users, tokens
) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Baru",
        period_start=2025,
        period_end=2029,
    )
    db.session.commit()
    body = assert_error(
        fire(client, tokens["drafter"], plan.id, trigger="submit", version=plan.version),
        409,
        "guard_failed",
    )
    assert body["problems"] == [
        {"field": "activities", "code": "no_activities", "message": "The plan has no activity yet."}
    ]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"trigger": "submit"}, "version"),
        ({"version": 1}, "trigger"),
        ({"trigger": "submit", "version": "x"}, "version"),
        ({"trigger": "submit", "version": 1, "state": "approved"}, "state"),
        ({"trigger": "submit", "version": 1, "comment": "a\x00b"}, "comment"),
        ({"trigger": "submit", "version": 1, "comment": "x" * 5001}, "comment"),
    ],
)
def test_bad_bodies_are_validation_errors(client: FlaskClient, users, tokens, sent, field) -> None:
    plan = factories.plan_in_state(users, "draft")
    body = assert_error(fire(client, tokens["drafter"], plan.id, **sent), 400, "validation_error")
    assert field in body["fields"]
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).state == "draft"


def test_a_body_that_is_not_json_is_refused(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    url = f"/api/v1/plans/{plan.id}/transitions"
    headers = tokens["drafter"]
    form = client.post(url, data={"trigger": "submit", "version": "1"}, headers=headers)
    assert_error(form, 415, "unsupported_media_type")
    broken = client.post(url, data="{not json", content_type="application/json", headers=headers)
    assert_error(broken, 400, "validation_error")
    listing = client.post(url, json=["submit"], headers=headers)
    assert_error(listing, 400, "validation_error")


def test_routing_errors_under_api_are_json_and_elsewhere_html(
    client: FlaskClient, users, tokens
) -> None:
    assert_error(client.get("/api/v1/nothing-here", headers=tokens["admin"]), 404, "not_found")
    wrong_method = client.delete("/api/v1/plans", headers=tokens["admin"])
    assert_error(wrong_method, 405, "method_not_allowed")
    assert "GET" in wrong_method.headers["Allow"]
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


# --- tasks and reports -------------------------------------------------------------------


def test_tasks_list_what_waits_for_the_caller(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "district_review")
    body = client.get("/api/v1/tasks", headers=tokens["reviewer"]).get_json()
    assert [(t["kind"], t["plan"]["id"], t["report"]) for t in body["items"]] == [
        ("plan", plan.id, None)
    ]
    assert set(body["items"][0]["actions"]) == {"forward", "return"}
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    assert client.get("/api/v1/tasks", headers=tokens["drafter"]).get_json()["items"] == []


def test_reports_are_read_and_verified_through_the_api(client: FlaskClient, users, tokens) -> None:
    plan, report = factories.reported_plan(users)  # submitted, TW III 2026
    listing = client.get(
        f"/api/v1/plans/{plan.id}/reports", headers=tokens["provincial"]
    ).get_json()
    assert [(r["id"], r["year"], r["quarter"], r["state"]) for r in listing["items"]] == [
        (report.id, 2026, 3, "submitted")
    ]
    detail = client.get(f"/api/v1/reports/{report.id}", headers=tokens["provincial"]).get_json()
    assert detail["lines"][0]["spent"] == 540_000_000
    assert detail["lines"][0]["physical_progress"] == "45.00"
    assert {t["trigger"] for t in detail["transitions"]} >= {"verify"}
    tasks = client.get("/api/v1/tasks", headers=tokens["provincial"]).get_json()
    assert [(t["kind"], t["report"]["id"]) for t in tasks["items"]] == [("report", report.id)]
    # A partner sees only verified reports.
    assert (
        client.get(f"/api/v1/plans/{plan.id}/reports", headers=tokens["partner"]).get_json()[
            "items"
        ]
        == []
    )
    assert_error(
        client.get(f"/api/v1/reports/{report.id}", headers=tokens["partner"]), 404, "not_found"
    )
    url = f"/api/v1/reports/{report.id}/transitions"
    stale = client.post(url, json={"trigger": "verify", "version": 0}, headers=tokens["provincial"])
    assert_error(stale, 409, "stale")
    done = client.post(
        url, json={"trigger": "verify", "version": detail["version"]}, headers=tokens["provincial"]
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["state"] == "verified"
    seen = client.get(f"/api/v1/reports/{report.id}", headers=tokens["partner"]).get_json()
    assert seen["state"] == "verified"
    assert seen["history"][-1]["trigger"] == "verify"
