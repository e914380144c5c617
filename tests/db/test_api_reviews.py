"""The review work of the web over the JSON API, through the same operations: a reviewer's
comments as threads the drafter answers and the reviewer of the comment's stage resolves or
reopens, the changes between two submissions with the latest return and what became of the
comments open at it, and the comments on a kind declared as data. Nobody sees, answers or
resolves what is not theirs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.db.test_api import assert_error, bearer
from workflow_app.accounts import delegations
from workflow_app.accounts.models import wita_today
from workflow_app.cases.models import CaseComment
from workflow_app.extensions import db
from workflow_app.firing import fire
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews import operations as reviews
from workflow_app.reviews.models import ReviewComment, ReviewReply
from workflow_app.reviews.operations import BODY_MAX_LENGTH
from workflow_app.reviews.snapshots import decimal_text

API = "/api/v1"
RETURN_REASON = "Target 2027 belum sesuai RPJMD"


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def _plan(plan_id: int) -> ActionPlan:
    db.session.expire_all()
    return db.session.get(ActionPlan, plan_id)


def _comment(client: FlaskClient, headers: dict, plan_id: int, **sent: Any) -> Any:
    return client.post(f"{API}/plans/{plan_id}/comments", json=sent, headers=headers)


def _reply(client: FlaskClient, headers: dict, comment_id: int, body: str) -> Any:
    return client.post(f"{API}/comments/{comment_id}/replies", json={"body": body}, headers=headers)


def _fire(client: FlaskClient, headers: dict, plan_id: int, trigger: str, **sent: Any) -> Any:
    sent = {"trigger": trigger, "version": _plan(plan_id).version, **sent}
    response = client.post(f"{API}/plans/{plan_id}/transitions", json=sent, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _threads(client: FlaskClient, headers: dict, plan_id: int, **query: Any) -> dict:
    response = client.get(f"{API}/plans/{plan_id}/comments", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _diff(client: FlaskClient, headers: dict, plan_id: int) -> dict:
    response = client.get(f"{API}/plans/{plan_id}/resubmission-diff", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _returned_plan(users: dict) -> tuple[ActionPlan, ReviewComment]:
    """A plan the district reviewer commented on (its first activity) and returned."""
    plan = factories.plan_in_state(users, "district_review")
    comment = reviews.add_comment(
        users["reviewer"], plan, "activity", plan.activities[0].id, "Volume?"
    )
    ops.transition(users["reviewer"], plan, "return", comment=RETURN_REASON)
    db.session.commit()
    return plan, comment


def _replies() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewReply)) or 0


# --- the whole way: comment, return, answer, resubmit, resolve ------------------------------


def test_a_return_with_comments_is_answered_resubmitted_and_resolved_over_the_api(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    reviewer, drafter = tokens["reviewer"], tokens["drafter"]
    plan = factories.plan_in_state(users, "district_review")
    activity = plan.activities[0]

    # The reviewer comments on an activity and on the plan as a whole, then returns it.
    response = _comment(
        client,
        reviewer,
        plan.id,
        item_type="activity",
        item_id=activity.id,
        body="  Volume 1.000 KK terlalu kecil  ",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    on_activity = response.get_json()
    assert response.headers["Location"].endswith(
        f"/api/v1/plans/{plan.id}/comments/{on_activity['id']}"
    )
    assert on_activity["text"] == "Volume 1.000 KK terlalu kecil"
    assert on_activity["item"] == {
        "type": "activity",
        "id": activity.id,
        "label": activity.title,
        "current_id": activity.id,
        "present": True,
    }
    assert (on_activity["role"], on_activity["stage"]) == ("district_reviewer", "district_review")
    assert on_activity["author"]["username"] == "reviewer.6301"
    assert on_activity["open"] and on_activity["can_resolve"] and on_activity["replies"] == []
    located = client.get(response.headers["Location"], headers=reviewer)
    assert located.status_code == 200 and located.get_json() == on_activity
    on_plan = _comment(client, reviewer, plan.id, item_type="plan", body="Lengkapi baseline")
    assert on_plan.status_code == 201
    assert on_plan.get_json()["item"]["label"] == plan.title
    _fire(client, reviewer, plan.id, "return", comment=RETURN_REASON)

    # The drafter reads the threads and why the plan came back.
    listed = _threads(client, drafter, plan.id)
    assert [t["text"] for t in listed["items"]] == [
        "Volume 1.000 KK terlalu kecil",
        "Lengkapi baseline",
    ]
    assert (listed["total"], listed["open"]) == (2, 2)
    assert listed["can_reply"] and not listed["can_comment"]
    assert not any(t["can_resolve"] for t in listed["items"])
    diff = _diff(client, drafter, plan.id)
    returned = diff["latest_return"]
    assert (returned["comment"], returned["actor"]["username"], returned["role"]) == (
        RETURN_REASON,
        "reviewer.6301",
        "district_reviewer",
    )
    assert returned["pending"] and returned["role_label"]["en"] == "district reviewer"
    # One submission so far: nothing to compare, no follow-up yet.
    assert diff["changes"] is None and diff["follow_ups"] is None

    # The drafter answers one comment and changes the plan, then submits it again.
    answered = _reply(client, drafter, on_activity["id"], "Volume dinaikkan menjadi 1.500 KK")
    assert answered.status_code == 201, answered.get_data(as_text=True)
    thread = answered.get_json()
    assert [(r["text"], r["role"], r["answer"]) for r in thread["replies"]] == [
        ("Volume dinaikkan menjadi 1.500 KK", "district_drafter", True)
    ]
    assert thread["answered"] and thread["open"]
    assert answered.headers["Location"].endswith(f"/comments/{on_activity['id']}")
    current = _plan(plan.id)
    with db.session.begin_nested():
        ops.replace_challenges(
            users["drafter"],
            current,
            expected_version=current.version,
            descriptions=["Tantangan baru"],
        )
    db.session.commit()
    _fire(client, drafter, plan.id, "submit")

    # The reviewer sees what changed since the return and what became of each comment.
    diff = _diff(client, reviewer, plan.id)
    assert diff["previous_submitted_at"] < diff["latest_submitted_at"]
    sections = {(c["section"], c["kind"]) for c in diff["changes"]}
    assert ("challenges", "added") in sections and ("challenges", "removed") in sections
    assert {c["label"] for c in diff["changes"] if c["kind"] == "added"} == {"Tantangan baru"}
    assert not diff["latest_return"]["pending"]
    assert diff["latest_return"]["comment"] == RETURN_REASON
    follow_ups = {f["comment"]["id"]: (f["answered"], f["resolved"]) for f in diff["follow_ups"]}
    plan_comment_id = on_plan.get_json()["id"]
    assert follow_ups == {on_activity["id"]: (True, False), plan_comment_id: (False, False)}

    # The reviewer resolves the answered comment, then opens it again.
    resolved = client.post(f"{API}/comments/{on_activity['id']}/resolve", headers=reviewer)
    assert resolved.status_code == 200, resolved.get_data(as_text=True)
    body = resolved.get_json()
    assert not body["open"] and body["resolved_by"]["username"] == "reviewer.6301"
    assert body["resolved_at"] is not None
    again = client.post(f"{API}/comments/{on_activity['id']}/resolve", headers=reviewer)
    assert again.get_json()["resolved_at"] == body["resolved_at"]  # twice: nothing more
    follow_ups = {
        f["comment"]["id"]: f["resolved"] for f in _diff(client, drafter, plan.id)["follow_ups"]
    }
    assert follow_ups[on_activity["id"]] is True
    assert _threads(client, drafter, plan.id)["open"] == 1
    reopened = client.post(f"{API}/comments/{on_activity['id']}/reopen", headers=reviewer)
    assert reopened.status_code == 200
    assert reopened.get_json()["open"] and reopened.get_json()["resolved_by"] is None
    db.session.expire_all()
    assert db.session.get(ReviewComment, on_activity["id"]).resolved_at is None


def test_the_diff_shows_values_before_and_after_with_decimals_as_text(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan, _ = _returned_plan(users)
    current = _plan(plan.id)
    activity = current.activities[0]
    data = ops.ActivityData(
        sub_sector=activity.sub_sector,
        activity_type=activity.activity_type,
        title=activity.title,
        location=activity.location,
        volume=Decimal("1500.50"),
        unit=activity.unit,
        agency_id=activity.agency_id,
        start_year=activity.start_year,
        end_year=activity.end_year,
        funding=[ops.FundingData(f.year, f.source, int(f.amount)) for f in activity.funding],
    )
    before = activity.volume
    ops.update_activity(
        users["drafter"], current, activity.id, expected_version=current.version, data=data
    )
    db.session.commit()
    _fire(client, tokens["drafter"], plan.id, "submit")
    diff = _diff(client, tokens["reviewer"], plan.id)
    (change,) = diff["changes"]
    assert (change["section"], change["kind"]) == ("activities", "changed")
    assert change["fields"] == [
        {
            "field": "volume",
            "before": decimal_text(before),
            "after": "1500.5",
            "year": None,
            "source": None,
        }
    ]


def test_an_acting_drafter_answers_on_behalf_of_the_drafter(
    client: FlaskClient, users: dict
) -> None:
    _, comment = _returned_plan(users)
    stand_in = factories.user("staf.6301", ("district_reviewer", "6301"))
    delegations.create_delegation(
        users["drafter"],
        delegator=users["drafter"],
        delegate=stand_in,
        role="district_drafter",
        region=factories.regions()["6301"],
        starts_on=wita_today(),
        ends_on=wita_today() + timedelta(days=3),
    )
    db.session.commit()
    headers = bearer(factories.api_token(stand_in))
    response = _reply(client, headers, comment.id, "Sudah, a.n. penyusun")
    assert response.status_code == 201, response.get_data(as_text=True)
    (reply,) = response.get_json()["replies"]
    assert reply["author"]["username"] == "staf.6301"
    assert reply["acting_for"]["username"] == "drafter.6301"
    assert (reply["role"], reply["answer"]) == ("district_drafter", True)


# --- refusals ------------------------------------------------------------------------------


def test_the_drafter_may_not_resolve_and_the_reviewer_not_while_the_plan_is_returned(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan, comment = _returned_plan(users)
    url = f"{API}/comments/{comment.id}/resolve"
    assert_error(client.post(url, headers=tokens["drafter"]), 403, "forbidden")
    assert_error(client.post(url, headers=tokens["head"]), 403, "forbidden")
    # The reviewer who wrote it, while the plan is with its drafter: not their turn.
    assert_error(client.post(url, headers=tokens["reviewer"]), 409, "invalid_state")
    ops.transition(users["drafter"], _plan(plan.id), "submit")
    db.session.commit()
    # Back at the reviewer: the province reviews another stage, the drafter still answers only.
    assert_error(client.post(url, headers=tokens["provincial"]), 403, "forbidden")
    reopen = f"{API}/comments/{comment.id}/reopen"
    assert_error(client.post(reopen, headers=tokens["drafter"]), 403, "forbidden")
    db.session.expire_all()
    assert db.session.get(ReviewComment, comment.id).resolved_at is None


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("reviewer", 409, "invalid_state"),  # the plan is with its drafter now
        ("provincial", 409, "invalid_state"),
        ("head", 403, "forbidden"),  # sees the plan, answers nothing
        ("admin", 403, "forbidden"),
        ("other_drafter", 404, "not_found"),  # another district: no such comment for them
        ("other_reviewer", 404, "not_found"),
        ("partner", 404, "not_found"),
    ],
)
def test_who_may_not_answer_a_returned_plan_s_comment(
    client: FlaskClient, users: dict, tokens: dict, who: str, status: int, code: str
) -> None:
    _, comment = _returned_plan(users)
    assert_error(_reply(client, tokens[who], comment.id, "Saya jawab"), status, code)
    assert _replies() == 0


def test_the_drafter_may_not_answer_while_the_plan_is_under_review(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan, comment = _returned_plan(users)
    ops.transition(users["drafter"], _plan(plan.id), "submit")
    db.session.commit()
    assert_error(_reply(client, tokens["drafter"], comment.id, "Sudah"), 409, "invalid_state")
    # The reviewer of the current stage answers now.
    assert _reply(client, tokens["reviewer"], comment.id, "Belum cukup").status_code == 201
    assert _replies() == 1


def test_another_district_sees_none_of_it(client: FlaskClient, users: dict, tokens: dict) -> None:
    plan, comment = _returned_plan(users)
    other = tokens["other_reviewer"]
    for url in (
        f"{API}/plans/{plan.id}/comments",
        f"{API}/plans/{plan.id}/comments/{comment.id}",
        f"{API}/plans/{plan.id}/resubmission-diff",
    ):
        assert_error(client.get(url, headers=other), 404, "not_found")
    for action in ("resolve", "reopen"):
        assert_error(
            client.post(f"{API}/comments/{comment.id}/{action}", headers=other), 404, "not_found"
        )
    sent = _comment(client, other, plan.id, item_type="plan", body="x")
    assert_error(sent, 404, "not_found")
    # A comment that does not exist answers the same as one not visible.
    missing = client.post(f"{API}/comments/999999/resolve", headers=other)
    assert assert_error(missing, 404, "not_found")["message"] == "comment not found"
    hidden = client.post(f"{API}/comments/{comment.id}/resolve", headers=other)
    assert hidden.get_json()["message"] == "comment not found"


def test_a_comment_is_read_only_under_its_own_plan(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan, comment = _returned_plan(users)
    other, other_comment = _returned_plan(users)  # the same district, the same drafter
    drafter = tokens["drafter"]
    for plan_id, comment_id in [
        (plan.id, other_comment.id),
        (other.id, comment.id),
        (plan.id, 999_999),
    ]:
        response = client.get(f"{API}/plans/{plan_id}/comments/{comment_id}", headers=drafter)
        assert_error(response, 404, "not_found")
    own = client.get(f"{API}/plans/{plan.id}/comments/{comment.id}", headers=drafter)
    assert own.status_code == 200 and own.get_json()["id"] == comment.id
    # Commenting on an item of another plan is refused as not part of this plan.
    ops.transition(users["drafter"], _plan(plan.id), "submit")
    db.session.commit()
    foreign = _plan(other.id).activities[0].id
    response = _comment(
        client, tokens["reviewer"], plan.id, item_type="activity", item_id=foreign, body="x"
    )
    body = assert_error(response, 400, "validation_error")
    assert body["message"] == "The item commented on is not part of this plan."


def test_who_may_not_comment(client: FlaskClient, users: dict, tokens: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    sent = {"item_type": "plan", "body": "Catatan"}
    assert_error(_comment(client, tokens["drafter"], plan.id, **sent), 403, "forbidden")
    assert_error(_comment(client, tokens["provincial"], plan.id, **sent), 409, "invalid_state")
    assert_error(_comment(client, tokens["other_reviewer"], plan.id, **sent), 404, "not_found")
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 0


@pytest.mark.parametrize(
    "sent",
    [
        {"item_type": "plan", "body": "   "},  # blank once trimmed
        {"item_type": "plan", "body": ""},
        {"item_type": "plan", "body": "x" * (BODY_MAX_LENGTH + 1)},
        {"item_type": "plan", "body": "nul\x00here"},
        {"item_type": "plan", "item_id": 1, "body": "the plan has no item id"},
        {"item_type": "activity", "body": "which activity?"},
        {"item_type": "report", "body": "x"},
        {"item_type": "plan", "body": "x", "version": 1},  # unknown field
        {"item_type": "plan", "body": 5},
        {"item_type": "activity", "item_id": "1", "body": "x"},
    ],
)
def test_an_invalid_comment_is_400_and_stores_nothing(
    client: FlaskClient, users: dict, tokens: dict, sent: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    assert_error(_comment(client, tokens["reviewer"], plan.id, **sent), 400, "validation_error")
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 0


def test_an_invalid_reply_is_400_and_stores_nothing(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    _, comment = _returned_plan(users)
    drafter = tokens["drafter"]
    for body in ("  ", "x" * (BODY_MAX_LENGTH + 1), "a\x00b"):
        assert_error(_reply(client, drafter, comment.id, body), 400, "validation_error")
    url = f"{API}/comments/{comment.id}/replies"
    extra = client.post(url, json={"body": "ok", "comment_id": 3}, headers=drafter)
    assert_error(extra, 400, "validation_error")
    assert _replies() == 0
    longest = _reply(client, drafter, comment.id, "y" * BODY_MAX_LENGTH)
    assert longest.status_code == 201 and _replies() == 1


def test_threads_come_a_page_at_a_time(client: FlaskClient, users: dict, tokens: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    for n in range(5):
        reviews.add_comment(users["reviewer"], plan, "plan", None, f"Catatan {n}")
    db.session.commit()
    page = _threads(client, tokens["head"], plan.id, limit=2, offset=3)
    assert [t["text"] for t in page["items"]] == ["Catatan 3", "Catatan 4"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 3)
    assert not page["can_comment"] and not page["can_reply"]
    for query in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"sort": "id"}):
        response = client.get(
            f"{API}/plans/{plan.id}/comments", headers=tokens["head"], query_string=query
        )
        assert_error(response, 400, "validation_error")


def test_a_comment_on_an_item_replaced_since_follows_it_by_name(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    challenge = plan.challenges[0]
    written = reviews.add_comment(users["reviewer"], plan, "challenge", challenge.id, "Jelaskan")
    ops.transition(users["reviewer"], plan, "return", comment=RETURN_REASON)
    db.session.commit()
    current = _plan(plan.id)
    texts = [c.description for c in current.challenges]
    ops.replace_challenges(
        users["drafter"], current, expected_version=current.version, descriptions=texts
    )
    db.session.commit()
    (thread,) = _threads(client, tokens["drafter"], plan.id)["items"]
    item = thread["item"]
    assert (item["id"], item["label"], item["present"]) == (challenge.id, texts[0], True)
    new_id = _plan(plan.id).challenges[0].id
    assert item["current_id"] == new_id != challenge.id and thread["id"] == written.id


# --- declared kinds --------------------------------------------------------------------------


def test_a_declared_case_takes_review_comments_over_the_api(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    proposal = factories.dak_proposal(users["drafter"])
    db.session.commit()
    url = f"{API}/cases/{proposal.kind}/{proposal.id}/comments"
    sent = {"body": "Lampirkan RAB", "field": "activities", "row": 0}
    # In draft, the district reviewer's stage has not come: not their turn yet.
    assert_error(client.post(url, json=sent, headers=tokens["reviewer"]), 409, "invalid_state")
    fire(users["drafter"], proposal, "submit")
    db.session.commit()
    assert_error(client.post(url, json=sent, headers=tokens["drafter"]), 403, "forbidden")
    assert_error(client.post(url, json=sent, headers=tokens["other_reviewer"]), 404, "not_found")
    bad_row = {**sent, "row": 7}
    assert_error(
        client.post(url, json=bad_row, headers=tokens["reviewer"]), 400, "validation_error"
    )
    response = client.post(url, json=sent, headers=tokens["reviewer"])
    assert response.status_code == 201, response.get_data(as_text=True)
    comment = response.get_json()
    assert (comment["field"], comment["row"], comment["text"]) == ("activities", 0, "Lampirkan RAB")
    assert comment["label"].startswith(proposal_label(proposal))
    assert response.headers["Location"].endswith(url.removeprefix(API))
    whole = client.post(url, json={"body": "Secara umum baik"}, headers=tokens["reviewer"])
    assert whole.status_code == 201 and whole.get_json()["field"] is None

    listed = client.get(url, headers=tokens["drafter"]).get_json()
    assert [c["text"] for c in listed["items"]] == ["Lampirkan RAB", "Secara umum baik"]
    assert listed["total"] == 2 and not listed["can_comment"]
    assert client.get(url, headers=tokens["reviewer"]).get_json()["can_comment"]
    assert_error(client.get(url, headers=tokens["other_drafter"]), 404, "not_found")
    assert_error(
        client.get(f"{API}/cases/plan/{proposal.id}/comments", headers=tokens["drafter"]),
        404,
        "not_found",
    )
    assert db.session.scalar(select(func.count()).select_from(CaseComment)) == 2


def proposal_label(proposal: Any) -> str:
    from workflow_app.cases.kinds import spec_of

    return spec_of(proposal).fields["activities"].label.id
