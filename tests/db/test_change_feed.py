"""The change feed: every change of a case (created, updated, transitioned) recorded once by
whichever door made it, served to integrators in order after an opaque cursor, only for the
cases they may see."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from workflow_app.changes.models import ChangeEvent
from workflow_app.extensions import db
from workflow_app.plans import operations as ops

from .. import factories
from ..feed_settled import wait_until_the_feed_is_settled
from ..statements import recorded_statements
from .test_api import assert_error, bearer


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def events() -> list[ChangeEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(ChangeEvent).order_by(ChangeEvent.txid, ChangeEvent.id)))


def read_all(client: FlaskClient, headers: dict, limit: int = 100) -> list[dict]:
    """Follow the feed from the start to its end, page by page."""
    items, after = [], None
    wait_until_the_feed_is_settled()
    while True:
        query = {"limit": limit} | ({"after": after} if after else {})
        body = client.get("/api/v1/changes", query_string=query, headers=headers).get_json()
        items += body["items"]
        after = body["next_cursor"]
        if not body["has_more"]:
            return items


def test_a_plan_s_life_is_recorded_one_event_per_change(users, tokens, client) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    recorded = [(e.type, e.version, e.state) for e in events()]
    assert recorded[0] == ("case.created", 1, "draft")
    # Every edit of the draft's contents is an update; the submission is one transition and
    # no update besides.
    assert {t for t, _, _ in recorded[1:-1]} == {"case.updated"}
    assert recorded[-1] == ("case.transitioned", plan.version, "district_review")

    items = read_all(client, tokens["reviewer"])
    assert [i["type"] for i in items] == [t for t, _, _ in recorded]
    last = items[-1]
    assert last["kind"] == "plan" and last["case_id"] == plan.id
    assert last["data"] == {
        "trigger": "submit",
        "from": "draft",
        "to": "district_review",
        "comment": None,
    }
    drafter = users["drafter"]
    assert last["actor"]["id"] == drafter.id
    assert last["actor"]["username"] == drafter.username
    assert last["actor"]["name"] == drafter.full_name


def test_the_api_caller_is_the_actor_of_an_update_whatever_web_session_it_sends(app, users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    from flask import g

    with app.test_request_context("/api/v1/plans"):
        g._login_user = users["admin"]  # a browser session of someone else
        g.api_user = users["drafter"]  # the token's user
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=plan.version,
            title="Rencana baru",
            period_start=plan.period_start,
            period_end=plan.period_end,
        )
        db.session.commit()
    last = events()[-1]
    assert (last.type, last.actor_id, last.data) == (
        "case.updated",
        users["drafter"].id,
        {"changed": ["title"]},
    )
    assert last.version == plan.version


def test_an_api_write_names_the_token_s_user_not_the_browser_s(app, users, tokens) -> None:
    from tests.conftest import signed_in

    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    browser = signed_in(app, "admin")  # the admin's session cookie goes along
    response = browser.put(
        f"/api/v1/plans/{plan.id}/header",
        json={
            "version": plan.version,
            "title": "Rencana lewat API",
            "period_start": plan.period_start,
            "period_end": plan.period_end,
        },
        headers=tokens["drafter"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    last = read_all(browser, tokens["reviewer"])[-1]
    assert (last["type"], last["data"], last["version"]) == (
        "case.updated",
        {"changed": ["title"]},
        response.get_json()["version"],
    )
    assert last["actor"]["username"] == users["drafter"].username


def test_a_web_user_is_the_actor_of_an_update(app, users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    from flask import g

    with app.test_request_context("/plans"):
        g._login_user = users["drafter"]
        ops.replace_challenges(
            users["drafter"], plan, expected_version=plan.version, descriptions=["Baru"]
        )
        db.session.commit()
    last = events()[-1]
    assert (last.type, last.actor_id, last.data) == (
        "case.updated",
        users["drafter"].id,
        {"changed": ["contents"]},
    )


def test_a_rolled_back_change_records_nothing(users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before = len(events())
    plan.title = "Tidak jadi"
    db.session.flush()
    ops.transition(users["drafter"], plan, "submit")
    db.session.rollback()
    assert len(events()) == before


def test_what_the_system_does_by_itself_is_in_the_feed(users, tokens, client) -> None:
    from workflow_app.accounts.system import SYSTEM_USERNAME
    from workflow_app.monitoring.rounds import run_round

    plan = factories.plan_in_state(users, "approved")
    run_round()  # its period has begun: the system starts monitoring it
    items = read_all(client, tokens["reviewer"])
    started = items[-1]
    assert (started["type"], started["data"]["trigger"], started["state"]) == (
        "case.transitioned",
        "start_monitoring",
        "monitored",
    )
    assert started["actor"]["username"] == SYSTEM_USERNAME
    assert started["case_id"] == plan.id


def test_a_report_opened_by_the_system_is_created_in_the_feed(users, tokens, client) -> None:
    _, report = factories.monitored_plan_with_report(users)
    items = read_all(client, tokens["reviewer"])
    opened = [i for i in items if i["kind"] == "report"]
    assert [(i["type"], i["case_id"]) for i in opened] == [("case.created", report.id)]


def test_a_report_s_submission_is_one_transition_and_no_update(users) -> None:
    factories.reported_plan(users)  # opened, filled in and submitted
    recorded = [(e.type, e.data) for e in events() if e.subject_kind == "report"]
    assert recorded[0][0] == "case.created"
    assert recorded[-1] == (
        "case.transitioned",
        {"trigger": "submit", "from": "due", "to": "submitted", "comment": None},
    )
    # The submission stamps its time on the report: that is the transition's, not an edit.
    assert all(data == {"changed": ["contents"]} for kind, data in recorded[1:-1]), recorded


def test_a_declared_kind_s_cases_are_in_the_feed_under_their_kind(users, tokens, client) -> None:
    proposal = factories.dak_proposal(users["drafter"])
    db.session.commit()
    mine = [i for i in read_all(client, tokens["reviewer"]) if i["kind"] == proposal.kind]
    assert mine and mine[0]["type"] == "case.created"
    assert {i["case_id"] for i in mine} == {proposal.id}
    theirs = read_all(client, tokens["other_drafter"])
    assert [i for i in theirs if i["kind"] == proposal.kind] == []


# --- who sees what ---------------------------------------------------------------------------


def test_another_district_sees_none_of_its_events(users, tokens, client) -> None:
    factories.plan_in_state(users, "district_review")
    other = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    mine = read_all(client, tokens["reviewer"])
    theirs = read_all(client, tokens["other_drafter"])
    assert mine and theirs
    assert {i["case_id"] for i in theirs} == {other.id}
    assert other.id not in {i["case_id"] for i in mine}
    # The province sees both districts.
    assert len(read_all(client, tokens["provincial"])) == len(mine) + len(theirs)


def test_a_partner_sees_a_plan_s_events_only_once_it_is_published(users, tokens, client) -> None:
    plan = factories.plan_in_state(users, "district_review")
    assert read_all(client, tokens["partner"]) == []
    for who, trigger in (("reviewer", "forward"), ("provincial", "approve")):
        ops.transition(users[who], plan, trigger)
    db.session.commit()
    assert read_all(client, tokens["partner"])[-1]["state"] == "approved"


# --- paging ----------------------------------------------------------------------------------


def test_following_the_cursor_a_page_at_a_time_gives_every_event_once_in_order(
    users, tokens, client
) -> None:
    factories.plan_in_state(users, "approved")
    whole = read_all(client, tokens["provincial"])
    assert len(whole) >= 4
    assert read_all(client, tokens["provincial"], limit=1) == whole
    assert len({i["id"] for i in whole}) == len(whole)


def test_at_the_end_the_cursor_given_comes_back_to_ask_again_later(users, tokens, client) -> None:
    plan = factories.plan_in_state(users, "district_review")
    wait_until_the_feed_is_settled()
    first = client.get("/api/v1/changes", headers=tokens["reviewer"]).get_json()
    cursor = first["next_cursor"]
    empty = client.get(
        "/api/v1/changes", query_string={"after": cursor}, headers=tokens["reviewer"]
    ).get_json()
    assert empty == {"items": [], "next_cursor": cursor, "has_more": False}
    ops.transition(users["reviewer"], plan, "forward")
    db.session.commit()
    wait_until_the_feed_is_settled()
    later = client.get(
        "/api/v1/changes", query_string={"after": cursor}, headers=tokens["reviewer"]
    ).get_json()
    assert [i["data"]["trigger"] for i in later["items"]] == ["forward"]


@pytest.mark.parametrize(
    "cursor",
    ["", "12", "c1_", "c1_!!!!", "c1_MC4x=", "c1_MDAuMQ", "c1_MC4w", "c1_LTEuMQ", "c1_" + "A" * 80],
)
def test_a_cursor_the_feed_did_not_give_is_refused_naming_after(users, tokens, client, cursor):
    response = client.get(
        "/api/v1/changes", query_string={"after": cursor}, headers=tokens["reviewer"]
    )
    body = assert_error(response, 400, "validation_error")
    assert "after" in body["fields"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"limit": "1.0"}])
def test_a_limit_out_of_bounds_is_refused(users, tokens, client, query) -> None:
    response = client.get("/api/v1/changes", query_string=query, headers=tokens["reviewer"])
    assert "limit" in assert_error(response, 400, "validation_error")["fields"]


def test_an_unknown_parameter_is_refused(users, tokens, client) -> None:
    response = client.get("/api/v1/changes?since=1", headers=tokens["reviewer"])
    assert "since" in assert_error(response, 400, "validation_error")["fields"]


def test_the_feed_needs_a_token(users, client) -> None:
    assert_error(client.get("/api/v1/changes"), 401, "unauthorized")


# --- cost ------------------------------------------------------------------------------------


def statements_of_a_submission(users: dict) -> list[str]:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    with recorded_statements() as statements:
        ops.transition(users["drafter"], plan, "submit")
        db.session.commit()
    return statements


def test_recording_a_transition_costs_one_insert(users, monkeypatch) -> None:
    """The transition's event is one INSERT; on PostgreSQL it rides in the statement that
    writes the history row (no round trip of its own)."""
    from workflow_app.changes import recording

    monkeypatch.setattr(recording, "_recorded", [])  # the feed alone (webhooks: their tests)
    statements = statements_of_a_submission(users)
    recorded = [s for s in statements if "INSERT INTO change_event" in s]
    assert len(recorded) == 1, recorded
    if db.engine.dialect.name == "postgresql":
        assert "INSERT INTO plan_transition" in recorded[0]
