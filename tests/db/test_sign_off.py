"""Parallel sign-off by the Pokja agencies on a DAK proposal (workflows/dak_sanitation.yaml):
every agency is asked at once, each answer is recorded with who gave it, the quorum moves the
proposal on by itself, an objection sends it back with the reason, and silence past the last
step counts as no objection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts import delegations
from workflow_app.accounts.models import wita_today
from workflow_app.cases.models import DeclaredCase
from workflow_app.deadlines.models import ScheduledStep
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.firing import fire
from workflow_app.history import CaseTransition
from workflow_app.models_base import utcnow
from workflow_app.notifications.models import Notification
from workflow_app.signoffs.models import SignOff
from workflow_app.signoffs.service import answer, current_round

KIND = factories.DAK_KIND


@pytest.fixture
def people(users: dict[str, Any]) -> dict[str, Any]:
    members = factories.pokja_members("6301")
    outsider = factories.pokja_members("6304")[0]
    db.session.commit()
    return {**users, "members": members, "outsider": outsider}


@pytest.fixture
def proposal(people: dict[str, Any]) -> DeclaredCase:
    case = factories.dak_proposal(people["drafter"])
    fire(people["drafter"], case, "submit")
    db.session.commit()
    return case


def _answer(client: FlaskClient, case: DeclaredCase, answer: str, comment: str = "") -> Any:
    url = f"/cases/{KIND}/{case.id}"
    data = {"csrf_token": csrf_token(client, url), "answer": answer, "comment": comment}
    return client.post(f"{url}/sign-off", data=data)


def _triggers(case: DeclaredCase) -> list[str]:
    query = select(CaseTransition.trigger).where(CaseTransition.subject_of(case))
    return list(db.session.scalars(query.order_by(CaseTransition.id)))


def test_entering_the_state_asks_every_agency_of_the_district(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    rows = current_round(proposal)
    assert [row.participant.username for row in rows] == [
        m.username for m in sorted(people["members"], key=lambda m: m.full_name)
    ]
    assert all(row.answer is None and row.due_at > utcnow() for row in rows)
    # Each participant has their own reminder, escalation and "no answer" steps.
    steps = db.session.scalars(select(ScheduledStep).where(ScheduledStep.sign_off_id.isnot(None)))
    assert len(list(steps)) == 3 * 3
    # Each participant finds it on "Tugas Saya", with its deadline.
    tasks = signed_in(app_ctx, "pokja.pupr.6301").get("/tasks").get_data(as_text=True)
    assert "Tanggapan yang diminta dari Anda" in tasks and proposal.title in tasks
    assert 'class="due due-' in tasks
    page = signed_in(app_ctx, "pokja.pupr.6301").get(f"/cases/{KIND}/{proposal.id}")
    html = page.get_data(as_text=True)
    assert 'id="sign-off-form"' in html and 'data-agreed="0" data-needed="3"' in html
    # Someone not asked sees the table but no form; the other district does not see the case.
    reviewer_page = signed_in(app_ctx, "reviewer.6301").get(f"/cases/{KIND}/{proposal.id}")
    assert 'id="sign-off-form"' not in reviewer_page.get_data(as_text=True)
    assert (
        signed_in(app_ctx, "pokja.pupr.6304").get(f"/cases/{KIND}/{proposal.id}").status_code == 404
    )


def test_all_agree_and_the_proposal_goes_to_the_province_by_itself(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    clients = [signed_in(app_ctx, m.username) for m in people["members"]]
    assert _answer(clients[0], proposal, "agree").status_code == 303
    again = _answer(clients[0], proposal, "agree")
    assert again.status_code == 409 and "sudah diberikan" in again.get_data(as_text=True)
    assert _answer(clients[1], proposal, "agree", "Sesuai RPJMD").status_code == 303
    db.session.expire_all()
    assert proposal.state == "agency_sign_off"
    assert _answer(clients[2], proposal, "agree").status_code == 303
    db.session.expire_all()
    assert proposal.state == "provincial_verification"
    assert _triggers(proposal) == ["create", "submit", "signed"]
    signed = db.session.scalars(
        select(CaseTransition).where(
            CaseTransition.subject_of(proposal), CaseTransition.trigger == "signed"
        )
    ).one()
    assert signed.actor.username == "sistem" and signed.comment == "3/3 setuju"
    # The answers stay on record; no participant's step is left to fire.
    rows = db.session.scalars(select(SignOff).where(SignOff.subject_of(proposal))).all()
    assert {row.answer for row in rows} == {"agree"}
    pending = select(ScheduledStep).where(
        ScheduledStep.sign_off_id.isnot(None), ScheduledStep.status == "pending"
    )
    assert db.session.scalars(pending).all() == []
    told = db.session.scalars(
        select(Notification).where(
            Notification.subject_of(proposal), Notification.event == "signed"
        )
    ).all()
    assert {row.recipient.username for row in told} >= {"provincial.63", "drafter.6301"}


def test_an_objection_returns_the_proposal_with_its_reason(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    dlh = signed_in(app_ctx, people["members"][1].username)
    bare = _answer(dlh, proposal, "object")
    assert bare.status_code == 400
    db.session.expire_all()
    assert all(row.answer is None for row in current_round(proposal))
    done = _answer(dlh, proposal, "object", "Lokasi IPLT belum ada surat lahan")
    assert done.status_code == 303
    db.session.expire_all()
    assert proposal.state == "returned"
    returned = db.session.scalars(
        select(CaseTransition).where(
            CaseTransition.subject_of(proposal), CaseTransition.trigger == "object"
        )
    ).one()
    assert "Pokja DLH 6301: Lokasi IPLT belum ada surat lahan" in returned.comment
    # Sent again, everyone is asked afresh.
    fire(people["drafter"], proposal, "submit")
    db.session.commit()
    rows = current_round(proposal)
    assert len(rows) == 3 and all(row.answer is None for row in rows)
    assert rows[0].entry_id != returned.id


def test_only_participants_answer_and_a_plt_answers_for_the_one_they_stand_in_for(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    reviewer = signed_in(app_ctx, "reviewer.6301")
    assert _answer(reviewer, proposal, "agree").status_code == 403
    assert _answer(signed_in(app_ctx, "pokja.pupr.6304"), proposal, "agree").status_code == 404
    absent = people["members"][2]
    stand_in = factories.user("plt.dinkes.6301", ("district_drafter", "6301"))  # an official there
    delegations.create_delegation(
        people["admin"],
        delegator=absent,
        delegate=stand_in,
        role="pokja_member",
        region=factories.regions()["6301"],
        starts_on=wita_today(),
        ends_on=wita_today() + timedelta(days=5),
    )
    db.session.commit()
    assert _answer(signed_in(app_ctx, stand_in.username), proposal, "agree").status_code == 303
    db.session.expire_all()
    row = next(r for r in current_round(proposal) if r.participant_id == absent.id)
    assert row.answer == "agree" and row.answered_by_id == stand_in.id


def test_silence_past_the_last_step_counts_as_no_objection(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    first = signed_in(app_ctx, people["members"][0].username)
    assert _answer(first, proposal, "agree").status_code == 303
    rows = current_round(proposal)
    # The reminder goes to the participants still silent only.
    reminders = run_sweep(rows[0].due_at - timedelta(hours=1))
    assert sorted(r.recipients[0] for r in reminders) == sorted(
        m.username for m in people["members"][1:]
    )
    run_sweep(rows[0].due_at + timedelta(days=10))
    db.session.expire_all()
    assert proposal.state == "provincial_verification"
    answers = {row.participant.username: (row.answer, row.answered_by.username) for row in rows}
    assert answers[people["members"][0].username] == ("agree", people["members"][0].username)
    assert answers[people["members"][1].username] == ("agree", "sistem")
    assert (
        "dianggap tidak keberatan"
        in next(r for r in rows if r.answered_by.username == "sistem").comment
    )


def test_the_whole_dak_process_from_the_command_line(
    app_ctx: Flask, people: dict[str, Any]
) -> None:
    case = factories.dak_proposal(people["drafter"])
    db.session.commit()
    runner = app_ctx.test_cli_runner()

    def run(*args: str) -> Any:
        return runner.invoke(args=["cases", *args])

    assert run("transition", KIND, str(case.id), "submit", "--as", "drafter.6301").exit_code == 0
    first, second, third = (m.username for m in people["members"])
    objection = run("answer", KIND, str(case.id), "object", "--as", second)
    assert objection.exit_code == 4 and "comment" in objection.output.lower()
    assert run("answer", KIND, str(case.id), "agree", "--as", "reviewer.6301").exit_code == 4
    said = run("answer", KIND, str(case.id), "agree", "--as", first)
    assert said.exit_code == 0 and "(1 agreed, 0 objected)" in said.output
    run("answer", KIND, str(case.id), "agree", "--as", second)
    last = run("answer", KIND, str(case.id), "agree", "--as", third)
    assert "the system fired signed, now provincial_verification" in last.output
    done = run("transition", KIND, str(case.id), "recommend", "--as", "provincial.63")
    assert done.exit_code == 0 and "provincial_verification → recommended" in done.output


def test_agencies_answer_through_the_api(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    client = app_ctx.test_client()
    url = f"/api/v1/cases/{KIND}/{proposal.id}/sign-off"

    def post(user: Any, body: dict[str, Any]) -> Any:
        token = factories.api_token(user)
        db.session.commit()
        return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})

    first, second, third = people["members"]
    assert post(second, {"answer": "object"}).status_code == 400  # a comment is required
    assert post(people["reviewer"], {"answer": "agree"}).status_code == 403
    assert post(people["outsider"], {"answer": "agree"}).status_code == 404
    assert post(first, {"answer": "maybe"}).status_code == 400
    said = post(first, {"answer": "agree", "comment": "Setuju"})
    assert said.status_code == 200
    assert said.get_json() | {"version": 0} == {
        "answer": "agree",
        "agreed": 1,
        "objected": 0,
        "fired": None,
        "state": "agency_sign_off",
        "version": 0,
    }
    assert post(first, {"answer": "agree"}).status_code == 409
    post(second, {"answer": "agree"})
    last = post(third, {"answer": "agree"}).get_json()
    assert (last["fired"], last["state"]) == ("signed", "provincial_verification")
    # The province then recommends it through the same API.
    token = factories.api_token(people["provincial"])
    db.session.commit()
    db.session.expire_all()
    recommended = client.post(
        f"/api/v1/cases/{KIND}/{proposal.id}/transitions",
        json={"trigger": "recommend", "version": proposal.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert recommended.status_code == 200 and recommended.get_json()["state"] == "recommended"


def test_a_proposal_the_province_leaves_undecided_goes_back_by_itself(
    app_ctx: Flask, people: dict[str, Any], proposal: DeclaredCase
) -> None:
    for member in people["members"]:
        answer(member, proposal, "agree", None)
    db.session.commit()
    assert proposal.state == "provincial_verification" and proposal.due_at is not None
    fired = run_sweep(proposal.due_at + timedelta(days=30))
    db.session.expire_all()
    assert proposal.state == "returned"
    assert [f.step for f in fired if f.fires] == ["no_decision"]
    back = db.session.scalars(
        select(CaseTransition).where(
            CaseTransition.subject_of(proposal), CaseTransition.trigger == "return"
        )
    ).one()
    assert back.actor.username == "sistem" and "no_decision" in back.comment
    escalated = db.session.scalars(
        select(Notification).where(
            Notification.subject_of(proposal), Notification.event == "escalation"
        )
    ).all()
    assert {row.recipient.username for row in escalated} == {"head.63"}
