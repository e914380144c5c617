"""Returns that explain themselves: the latest return (who, acting for whom, when, why) at
the top of the plan and on "My tasks"; review comments as threads the drafter answers and the
reviewer of the comment's stage marks resolved; open comments counted in the submit
checklist (shown, not blocking); and on the next submission which comments were answered
and resolved since the return."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token
from tests.db.test_reviews import _page
from tests.db.test_views_editing import forms_of
from tests.db.test_views_transition import _act, _client_as
from workflow_app.accounts import delegations
from workflow_app.accounts.models import wita_today
from workflow_app.engine import NotAllowedFromState, OutOfScope, RoleNotAllowed
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews import operations as reviews
from workflow_app.reviews import threads
from workflow_app.reviews.models import ReviewComment, ReviewReply
from workflow_app.reviews.returns import is_return
from workflow_app.workflows import definition_of

RETURN_REASON = "Target 2027 belum sesuai RPJMD"


def _element(page: str, element_id: str) -> str:
    """The markup of the element with `element_id`, up to its own closing tag."""
    start = page.rindex("<", 0, page.index(f'id="{element_id}"'))
    tag = re.match(r"<(\w+)", page[start:]).group(1)  # type: ignore[union-attr]
    depth, position = 0, start
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", page[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return page[start:position]


def _returned_plan(users: dict, comments: tuple[str, ...] = ("Volume?",)) -> ActionPlan:
    """A plan the district reviewer commented on (one comment per text, on its activity)
    and returned with RETURN_REASON."""
    plan = factories.plan_in_state(users, "district_review")
    for body in comments:
        reviews.add_comment(users["reviewer"], plan, "activity", plan.activities[0].id, body)
    ops.transition(users["reviewer"], plan, "return", comment=RETURN_REASON)
    db.session.commit()
    return plan


def _comment_ids(plan_id: int) -> list[int]:
    query = select(ReviewComment.id).where(ReviewComment.plan_id == plan_id)
    return list(db.session.scalars(query.order_by(ReviewComment.id)))


def _reply(client: FlaskClient, plan_id: int, comment_id: int, body: str):
    """Answer through the reply form the plan page shows."""
    page = _page(client, plan_id)
    form = next(f for f in forms_of(page) if f["id"] == f"reply-form-{comment_id}")
    fields = dict(form["fields"])  # type: ignore[arg-type]
    return client.post(str(form["action"]).split("#")[0], data={**fields, "body": body})


def _resolve(client: FlaskClient, plan_id: int, comment_id: int):
    page = _page(client, plan_id)
    form = next(f for f in forms_of(page) if f["id"] == f"resolution-form-{comment_id}")
    return client.post(str(form["action"]), data=dict(form["fields"]))  # type: ignore[arg-type]


def _post(client: FlaskClient, url: str, **data: str):
    """A POST carrying the sender's own session token (what a hostile insider can send)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/tasks"), **data})


def _replies() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    rows = db.session.execute(select(ReviewReply.comment_id, ReviewReply.role, ReviewReply.body))
    return [tuple(row) for row in rows]  # type: ignore[misc]


# --- what a return is --------------------------------------------------------------------


def test_a_return_is_read_from_the_definition(users: dict) -> None:
    definition = definition_of(factories.complete_plan(users["drafter"]))
    assert is_return(definition, "return", "district_review")
    assert is_return(definition, "return", "provincial_sync")
    for trigger, source in [
        ("forward", "district_review"),  # into a review state, not an editable one
        ("withdraw", "returned"),  # out of an editable state
        ("submit", "returned"),
        ("approve", "provincial_sync"),
        ("return", "draft"),  # no such transition
    ]:
        assert not is_return(definition, trigger, source), (trigger, source)


# --- the return box at the top and on "My tasks" ----------------------------------------


def test_the_returned_plan_says_at_its_top_who_returned_it_when_and_why(
    app: Flask, users: dict
) -> None:
    plan = _returned_plan(users)
    for username in ("drafter.6301", "head.6301", "provincial.63"):
        page = _page(_client_as(app, username), plan.id)
        box = _element(page, "returned")
        assert RETURN_REASON in box and "Reviewer 6301" in box and "WITA" in box
        # Above the actions, the comments and the history, where the reason used to be alone.
        assert page.index('id="returned"') < page.index('id="plan-comments-title"')
        assert page.index('id="returned"') < page.index('id="history-title"')
        # It counts the comments still open and links to their list.
        assert 'href="#open-comments"' in box and 'id="open-comments"' in page
    page = _page(_client_as(app, "drafter.6301"), plan.id)
    assert page.index('id="returned"') < page.index('id="actions-title"')
    # Someone who may not see the plan sees neither it nor the reason.
    assert _client_as(app, "mitra.demo").get(f"/plans/{plan.id}").status_code == 404

    # Submitted again, the plan is no longer "returned": no box.
    assert _act(_client_as(app, "drafter.6301"), plan.id, "submit").status_code == 303
    assert 'id="returned"' not in _page(_client_as(app, "reviewer.6301"), plan.id)


def test_the_province_s_return_names_the_provincial_reviewer(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    ops.transition(users["provincial"], plan, "return", comment="Belum selaras")
    db.session.commit()
    box = _element(_page(_client_as(app, "drafter.6301"), plan.id), "returned")
    assert "Belum selaras" in box and "Provincial 63" in box
    assert "Reviewer 6301" not in box


def test_a_return_by_an_acting_reviewer_names_both(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    stand_in = factories.user("staf.6301", ("district_drafter", "6301"))
    delegations.create_delegation(
        users["reviewer"],
        delegator=users["reviewer"],
        delegate=stand_in,
        role="district_reviewer",
        region=factories.regions()["6301"],
        starts_on=wita_today(),
        ends_on=wita_today() + timedelta(days=3),
    )
    ops.transition(stand_in, plan, "return", comment="Lengkapi lokasi")
    db.session.commit()
    box = _element(_page(_client_as(app, "drafter.6301"), plan.id), "returned")
    assert "Staf 6301" in box and "Reviewer 6301" in box and "Lengkapi lokasi" in box


def test_my_tasks_shows_why_a_plan_came_back(app: Flask, users: dict) -> None:
    returned = _returned_plan(users)
    draft = factories.complete_plan(users["drafter"], title="Draf baru")
    response = _client_as(app, "drafter.6301").get("/tasks")
    page = unescape(response.get_data(as_text=True))
    row = _element(page, f"task-returned-{returned.id}")
    assert RETURN_REASON in row and "Reviewer 6301" in row and "WITA" in row
    assert page.index(f'id="task-{returned.id}"') < page.index(f'id="task-returned-{returned.id}"')
    assert f'id="task-returned-{draft.id}"' not in page  # a draft was never returned


# --- threads: who answers ------------------------------------------------------------------


def test_the_drafter_answers_a_comment_and_everyone_who_sees_the_plan_reads_it(
    app: Flask, users: dict
) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    drafter = _client_as(app, "drafter.6301")
    response = _reply(drafter, plan.id, comment_id, "  Volume dinaikkan menjadi 1.500 KK  ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#review-comment-{comment_id}")
    assert _replies() == [(comment_id, "district_drafter", "Volume dinaikkan menjadi 1.500 KK")]
    for username in ("reviewer.6301", "head.6301", "provincial.63"):
        thread = _element(_page(_client_as(app, username), plan.id), f"review-comment-{comment_id}")
        assert "Volume dinaikkan menjadi 1.500 KK" in thread and "Drafter 6301" in thread
    # The reply form is the drafter's alone while the plan is with them.
    assert "reply-form-" not in _page(_client_as(app, "reviewer.6301"), plan.id)
    assert "reply-form-" not in _page(_client_as(app, "head.6301"), plan.id)


def test_an_empty_or_overlong_reply_is_refused_and_the_text_kept(app: Flask, users: dict) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    drafter = _client_as(app, "drafter.6301")
    assert _reply(drafter, plan.id, comment_id, "   ").status_code == 400
    too_long = "Panjang " * 300
    response = _reply(drafter, plan.id, comment_id, too_long)
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert too_long.strip() in page and f'id="reply-body-{comment_id}-error"' in page
    assert _replies() == []


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("drafter.6304", 404),  # another district's drafter: the plan does not exist for them
        ("reviewer.6304", 404),
        ("mitra.demo", 404),  # a partner: an unpublished plan is not theirs to see
        ("head.6301", 403),  # sees the plan, answers nothing
        ("head.63", 403),
        ("admin", 403),
        ("reviewer.6301", 409),  # a reviewer of the plan, but it is not at their stage
        ("provincial.63", 409),
    ],
)
def test_who_may_not_answer(app: Flask, users: dict, username: str, status: int) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    url = f"/plans/{plan.id}/comments/{comment_id}/replies"
    assert _post(_client_as(app, username), url, body="Saya jawab").status_code == status
    assert _replies() == []


def test_a_comment_is_answered_only_under_its_own_plan(app: Flask, users: dict) -> None:
    plan = _returned_plan(users)
    other = _returned_plan(users)  # the same district, the same drafter
    people = factories.district_people(users, "6304")
    foreign = factories.plan_in_state(people, "district_review", "6304")
    reviews.add_comment(users["other_reviewer"], foreign, "plan", None, "Catatan 6304")
    db.session.commit()
    drafter = _client_as(app, "drafter.6301")
    (own_comment,) = _comment_ids(plan.id)
    (other_comment,) = _comment_ids(other.id)
    (foreign_comment,) = _comment_ids(foreign.id)
    for plan_id, comment_id in [
        (plan.id, other_comment),  # another plan's comment under this plan's URL
        (plan.id, foreign_comment),  # another district's comment
        (foreign.id, foreign_comment),
        (plan.id, 999_999),
    ]:
        url = f"/plans/{plan_id}/comments/{comment_id}/replies"
        assert _post(drafter, url, body="Jawaban").status_code == 404, (plan_id, comment_id)
    assert _replies() == []
    assert _reply(drafter, plan.id, own_comment, "Jawaban").status_code == 303


def test_an_acting_drafter_answers_on_behalf_of_the_drafter(app: Flask, users: dict) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
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
    assert _reply(_client_as(app, "staf.6301"), plan.id, comment_id, "Sudah").status_code == 303
    reply = db.session.scalars(select(ReviewReply)).one()
    assert (reply.author_id, reply.acting_for_id, reply.role) == (
        stand_in.id,
        users["drafter"].id,
        "district_drafter",
    )
    thread = _element(
        _page(_client_as(app, "reviewer.6301"), plan.id), f"review-comment-{comment_id}"
    )
    assert "Staf 6301" in thread and "Drafter 6301" in thread


# --- threads: who marks a comment resolved ---------------------------------------------------


def test_the_reviewer_of_the_comment_s_stage_marks_it_resolved_and_open_again(
    app: Flask, users: dict
) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    assert _act(_client_as(app, "drafter.6301"), plan.id, "submit").status_code == 303
    reviewer = _client_as(app, "reviewer.6301")
    response = _resolve(reviewer, plan.id, comment_id)
    assert response.status_code == 303
    db.session.expire_all()
    comment = db.session.get(ReviewComment, comment_id)
    assert comment.resolved_at is not None and comment.resolved_by_id == users["reviewer"].id
    thread = _element(
        _page(_client_as(app, "drafter.6301"), plan.id), f"review-comment-{comment_id}"
    )
    assert 'data-open="0"' in thread and "Reviewer 6301" in thread

    assert _resolve(reviewer, plan.id, comment_id).status_code == 303  # "open again"
    db.session.expire_all()
    assert db.session.get(ReviewComment, comment_id).resolved_at is None


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("drafter.6301", 403),  # the drafter answers; resolving is the reviewer's word
        ("head.6301", 403),
        ("provincial.63", 403),  # a reviewer, but of another stage than the comment's
        ("drafter.6304", 404),
        ("reviewer.6304", 404),
        ("mitra.demo", 404),
    ],
)
def test_who_may_not_resolve(app: Flask, users: dict, username: str, status: int) -> None:
    plan = _returned_plan(users)
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    (comment_id,) = _comment_ids(plan.id)
    url = f"/plans/{plan.id}/comments/{comment_id}/resolution"
    assert _post(_client_as(app, username), url, resolved="1").status_code == status
    db.session.expire_all()
    assert db.session.get(ReviewComment, comment_id).resolved_at is None


def test_the_reviewer_resolves_only_while_the_plan_is_at_their_stage(users: dict) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    comment = db.session.get(ReviewComment, comment_id)
    with pytest.raises(NotAllowedFromState):  # returned: with the drafter
        threads.set_resolved(users["reviewer"], plan, comment, True)
    ops.transition(users["drafter"], plan, "submit")
    ops.transition(users["reviewer"], plan, "forward")
    with pytest.raises(NotAllowedFromState):  # at the province now
        threads.set_resolved(users["reviewer"], plan, comment, True)
    with pytest.raises(RoleNotAllowed):  # the province did not write it
        threads.set_resolved(users["provincial"], plan, comment, True)
    with pytest.raises(OutOfScope):
        threads.set_resolved(users["other_reviewer"], plan, comment, True)
    # The province resolves its own comments at its stage.
    own = reviews.add_comment(users["provincial"], plan, "plan", None, "Selaraskan")
    threads.set_resolved(users["provincial"], plan, own, True)
    db.session.commit()
    assert own.resolved_by_id == users["provincial"].id and comment.resolved_at is None


def test_a_bad_resolution_value_changes_nothing(app: Flask, users: dict) -> None:
    plan = _returned_plan(users)
    ops.transition(users["drafter"], plan, "submit")
    db.session.commit()
    (comment_id,) = _comment_ids(plan.id)
    url = f"/plans/{plan.id}/comments/{comment_id}/resolution"
    reviewer = _client_as(app, "reviewer.6301")
    for value in ("", "yes", "2"):
        assert _post(reviewer, url, resolved=value).status_code == 400
    db.session.expire_all()
    assert db.session.get(ReviewComment, comment_id).resolved_at is None


# --- the checklist ---------------------------------------------------------------------------


def test_open_comments_are_counted_in_the_checklist_without_blocking(
    app: Flask, users: dict
) -> None:
    plan = _returned_plan(users, ("Volume?", "Lokasi?"))
    first, second = _comment_ids(plan.id)
    drafter = _client_as(app, "drafter.6301")
    page = _page(drafter, plan.id)
    action = _element(page, "action-submit")
    # The plan's data is complete, yet the checklist does not say so while comments are open.
    assert "checklist-ok" not in action
    notes = _element(page, "checklist-notes-submit")
    assert 'href="#open-comments"' in notes and re.search(r"\b2\b", notes)
    open_list = _element(page, "open-comments")
    assert f'href="#review-comment-{first}"' in open_list
    assert f'href="#review-comment-{second}"' in open_list
    assert open_list.count('data-answered="0"') == 2

    assert _reply(drafter, plan.id, first, "Sudah diperbaiki").status_code == 303
    open_list = _element(_page(drafter, plan.id), "open-comments")
    assert f'data-comment-id="{first}" data-answered="1"' in open_list

    # Open comments do not block: the submission goes through.
    assert _act(drafter, plan.id, "submit").status_code == 303
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).state == "district_review"


def test_the_checklist_says_complete_again_once_every_comment_is_resolved(
    app: Flask, users: dict
) -> None:
    plan = _returned_plan(users)
    (comment_id,) = _comment_ids(plan.id)
    ops.transition(users["drafter"], plan, "submit")
    threads.set_resolved(users["reviewer"], plan, db.session.get(ReviewComment, comment_id), True)
    ops.transition(users["reviewer"], plan, "return", comment="Satu lagi")
    db.session.commit()
    page = _page(_client_as(app, "drafter.6301"), plan.id)
    assert "checklist-ok" in _element(page, "action-submit")
    assert 'id="checklist-notes-submit"' not in page and 'id="open-comments"' not in page


# --- the next submission ---------------------------------------------------------------------


def test_the_resubmission_shows_which_comments_were_answered_and_resolved(
    app: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    reviewer_user = users["reviewer"]
    answered = reviews.add_comment(reviewer_user, plan, "activity", plan.activities[0].id, "A?")
    ignored = reviews.add_comment(reviewer_user, plan, "plan", None, "B?")
    settled = reviews.add_comment(reviewer_user, plan, "plan", None, "C?")
    threads.set_resolved(reviewer_user, plan, settled, True)  # resolved before the return
    ops.transition(reviewer_user, plan, "return", comment=RETURN_REASON)
    db.session.commit()
    drafter = _client_as(app, "drafter.6301")
    assert _reply(drafter, plan.id, answered.id, "Sudah").status_code == 303
    assert _act(drafter, plan.id, "submit").status_code == 303

    reviewer = _client_as(app, "reviewer.6301")
    section = _element(_page(reviewer, plan.id), "changes")
    follow_ups = dict(
        (int(cid), (a, r))
        for cid, a, r in re.findall(
            r'data-comment-id="(\d+)" data-answered="(\d)" data-resolved="(\d)"', section
        )
    )
    assert follow_ups == {answered.id: ("1", "0"), ignored.id: ("0", "0")}

    assert _resolve(reviewer, plan.id, answered.id).status_code == 303
    section = _element(_page(reviewer, plan.id), "changes")
    assert f'data-comment-id="{answered.id}" data-answered="1" data-resolved="1"' in section


def test_no_follow_up_before_a_return(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    reviews.add_comment(users["reviewer"], plan, "plan", None, "Catatan")
    db.session.commit()
    assert 'id="comment-follow-ups"' not in _page(_client_as(app, "reviewer.6301"), plan.id)
    assert db.session.scalar(select(func.count()).select_from(ReviewReply)) == 0
