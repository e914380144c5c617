"""Reviewers' comments on a plan's items and the changes since the previous submission:
who may comment, where comments appear, a snapshot per submission, and the whole loop in the
browser (comment, return, fix, resubmit, read the diff)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token
from tests.db.test_views_editing import forms_of
from tests.db.test_views_transition import _act, _client_as
from workflow_app.engine import GuardFailed, NotAllowedFromState, OutOfScope, RoleNotAllowed
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.reviews import operations as reviews
from workflow_app.reviews.models import PlanSnapshot, ReviewComment
from workflow_app.reviews.snapshots import snapshots_of


def _page(client: FlaskClient, plan_id: int) -> str:
    response = client.get(f"/plans/{plan_id}")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def _block(page: str, element_id: str) -> str:
    """The markup of the element with `element_id` up to the next item's comments block."""
    start = page.index(f'id="{element_id}"')
    end = page.find('class="item-comments"', start + len(element_id) + 5)
    return page[start : end if end != -1 else len(page)]


def _comment_form(page: str, key: str) -> dict[str, str]:
    form = next(f for f in forms_of(page) if f["id"] == f"comment-form-{key}")
    return dict(form["fields"])  # type: ignore[arg-type]


def _post_comment(client: FlaskClient, plan_id: int, key: str, body: str):
    fields = _comment_form(_page(client, plan_id), key)
    return client.post(f"/plans/{plan_id}/comments", data={**fields, "body": body})


def _comments(plan_id: int) -> list[ReviewComment]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewComment).where(ReviewComment.plan_id == plan_id)))


# --- who may comment -----------------------------------------------------------------


def test_district_reviewer_comments_while_the_plan_is_in_district_review(users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    activity = plan.activities[0]
    comment = reviews.add_comment(users["reviewer"], plan, "activity", activity.id, " Volume? ")
    db.session.commit()
    stored = _comments(plan.id)
    assert [
        (c.item_type, c.item_id, c.item_label, c.body, c.state, c.author_id) for c in stored
    ] == [
        (
            "activity",
            activity.id,
            "Layanan LLTT",
            "Volume?",
            "district_review",
            users["reviewer"].id,
        )
    ]
    assert comment.round == 1 and comment.resolved_at is None


def test_provincial_reviewer_comments_in_provincial_sync(users: dict) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    reviews.add_comment(users["provincial"], plan, "plan", None, "Selaraskan dengan RPJMD")
    db.session.commit()
    assert [(c.item_type, c.item_id, c.state) for c in _comments(plan.id)] == [
        ("plan", None, "provincial_sync")
    ]


@pytest.mark.parametrize(
    ("state", "who", "refusal"),
    [
        ("district_review", "drafter", RoleNotAllowed),
        ("district_review", "head", RoleNotAllowed),
        ("district_review", "other_reviewer", OutOfScope),
        ("district_review", "provincial", NotAllowedFromState),
        ("provincial_sync", "reviewer", NotAllowedFromState),
        ("returned", "reviewer", NotAllowedFromState),
        ("approved", "provincial", NotAllowedFromState),
        ("approved", "partner", RoleNotAllowed),
    ],
)
def test_who_may_not_comment(users: dict, state: str, who: str, refusal: type) -> None:
    plan = factories.plan_in_state(users, state)
    with pytest.raises(refusal):
        reviews.add_comment(users[who], plan, "plan", None, "Catatan")
    assert _comments(plan.id) == []


def test_comment_must_name_an_item_of_the_plan_and_have_a_body(users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    other = factories.complete_plan(users["drafter"], title="Rencana lain")
    reviewer = users["reviewer"]
    for item_type, item_id, body in [
        ("activity", other.activities[0].id, "Catatan"),  # another plan's activity
        ("budget", None, "Catatan"),
        ("plan", 5, "Catatan"),
        ("indicator", None, "Catatan"),
        ("plan", None, "   "),
        ("plan", None, "x" * (reviews.BODY_MAX_LENGTH + 1)),
    ]:
        with pytest.raises(ops.InvalidInput):
            reviews.add_comment(reviewer, plan, item_type, item_id, body)
    assert _comments(plan.id) == []


def test_comment_form_status_codes_in_the_browser(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    reviewer = _client_as(app, "reviewer.6301")
    fields = _comment_form(_page(reviewer, plan.id), "plan")
    url = f"/plans/{plan.id}/comments"

    drafter = _client_as(app, "drafter.6301")
    assert "comment-form-" not in _page(drafter, plan.id)  # no form offered to the drafter
    for client, status in [(drafter, 403), (_client_as(app, "reviewer.6304"), 404)]:
        # The same form, sent with the sender's own session token.
        own = {**fields, "csrf_token": csrf_token(client, "/tasks"), "body": "Catatan"}
        assert client.post(url, data=own).status_code == status
    assert _comments(plan.id) == []

    too_long = "Terlalu panjang " * 200
    response = reviewer.post(url, data={**fields, "body": too_long})
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert _comment_form(page, "plan")["body"] == too_long  # what was typed is kept
    assert 'id="comment-body-plan-error"' in page
    assert reviewer.post(url, data={**fields, "body": " "}).status_code == 400
    assert _comments(plan.id) == []

    response = reviewer.post(url, data={**fields, "body": "Lengkapi data dasar"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/plans/{plan.id}#comments-plan")
    assert [c.body for c in _comments(plan.id)] == ["Lengkapi data dasar"]


# --- where comments appear -----------------------------------------------------------


def test_comments_appear_next_to_the_items_they_concern(app: Flask, users: dict) -> None:
    plan = factories.complete_plan(users["drafter"])
    ops.add_activity(
        users["drafter"],
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="wastewater",
            activity_type="iplt",
            title="Pembangunan IPLT",
            location="Bati-Bati",
            volume=None,
            unit="unit",
            agency_id=factories.agency("6301").id,
            start_year=2027,
            end_year=2028,
            funding=[ops.FundingData(year=2027, source="dak", amount=1_000_000)],
        ),
    )
    ops.transition(users["drafter"], plan, "submit")
    first, second = plan.activities
    indicator, challenge = plan.indicators[0], plan.challenges[0]
    reviewer = users["reviewer"]
    reviews.add_comment(reviewer, plan, "activity", second.id, "IPLT: lahan sudah ada?")
    reviews.add_comment(reviewer, plan, "activity", second.id, "Tambahkan DED")
    reviews.add_comment(reviewer, plan, "indicator", indicator.id, "Baseline dari mana?")
    reviews.add_comment(reviewer, plan, "challenge", challenge.id, "Sebutkan angkanya")
    reviews.add_comment(reviewer, plan, "plan", None, "Secara umum baik")
    db.session.commit()

    for username in ("drafter.6301", "head.6301", "provincial.63", "reviewer.6301"):
        page = _page(_client_as(app, username), plan.id)
        second_block = _block(page, f"comments-activity-{second.id}")
        # Newest last, with the author and the time in WITA.
        assert second_block.index("IPLT: lahan sudah ada?") < second_block.index("Tambahkan DED")
        assert "Reviewer 6301" in second_block and "WITA" in second_block
        assert "Baseline dari mana?" in _block(page, f"comments-indicator-{indicator.id}")
        assert "Sebutkan angkanya" in _block(page, f"comments-challenge-{challenge.id}")
        assert "Secara umum baik" in _block(page, "comments-plan")
        assert f'id="comments-activity-{first.id}"' not in page or "Tambahkan DED" not in (
            _block(page, f"comments-activity-{first.id}")
        )
    # The block follows its activity's row.
    page = _page(_client_as(app, "drafter.6301"), plan.id)
    assert page.index(f'id="activity-{second.id}"') < page.index(
        f'id="comments-activity-{second.id}"'
    )
    # Someone outside the district sees nothing.
    assert _client_as(app, "reviewer.6304").get(f"/plans/{plan.id}").status_code == 404


def test_comment_follows_an_indicator_saved_again_under_a_new_row(users: dict, app: Flask) -> None:
    plan = factories.plan_in_state(users, "district_review")
    indicator = plan.indicators[0]
    reviews.add_comment(users["reviewer"], plan, "indicator", indicator.id, "Target 2029?")
    ops.transition(users["reviewer"], plan, "return", comment="Lihat catatan")
    data = ops.IndicatorData(
        name=indicator.name,
        unit="%",
        baseline_year=2024,
        baseline_value=indicator.baseline_value,
        targets={year: indicator.target_for(year) for year in plan.years},
    )
    ops.replace_indicators(users["drafter"], plan, expected_version=None, indicators=[data])
    db.session.commit()
    new_id = plan.indicators[0].id
    assert new_id != indicator.id
    page = _page(_client_as(app, "drafter.6301"), plan.id)
    assert "Target 2029?" in _block(page, f"comments-indicator-{new_id}")


# --- snapshots -------------------------------------------------------------------------


def test_a_snapshot_is_stored_at_each_submission(users: dict) -> None:
    plan = factories.plan_in_state(users, "returned")
    assert len(snapshots_of(plan.id)) == 1
    ops.transition(users["drafter"], plan, "submit")
    ops.transition(users["reviewer"], plan, "forward")
    db.session.commit()
    snapshots = snapshots_of(plan.id)
    assert len(snapshots) == 2  # forward takes none
    submits = [row.id for row in plan.history if row.trigger == "submit"]
    assert [s.transition_id for s in snapshots] == submits
    data = snapshots[-1].data
    assert data["header"] == {
        "title": "Rencana Aksi",
        "period_start": 2025,
        "period_end": 2029,
        "region": "6301",
    }
    assert data["challenges"] == ["Cakupan LLTT masih rendah"]
    assert data["indicators"][0]["baseline_value"] == "6"
    assert data["indicators"][0]["targets"]["2029"] == "18"
    (activity,) = data["activities"]
    assert (activity["title"], activity["volume"], activity["agency"]) == (
        "Layanan LLTT",
        "1200",
        factories.agency("6301").name,
    )
    assert activity["funding"] == [{"year": 2026, "source": "apbd_district", "amount": 850_000_000}]


def test_a_refused_submission_stores_no_snapshot(users: dict) -> None:
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Kosong",
        period_start=2025,
        period_end=2029,
    )
    with pytest.raises(GuardFailed):
        ops.transition(users["drafter"], plan, "submit")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PlanSnapshot)) == 0


def test_no_changes_section_before_the_second_submission(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    assert 'id="changes"' not in _page(_client_as(app, "reviewer.6301"), plan.id)


# --- the whole loop in the browser ---------------------------------------------------------


def test_comment_return_fix_resubmit_and_read_the_diff(app: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    plan_id, activity_id = plan.id, plan.activities[0].id
    reviewer = _client_as(app, "reviewer.6301")
    drafter = _client_as(app, "drafter.6301")

    key = f"activity-{activity_id}"
    response = _post_comment(reviewer, plan_id, key, "Volume LLTT terlalu kecil")
    assert response.status_code == 303
    assert _act(reviewer, plan_id, "return", comment="Perbaiki kegiatan LLTT").status_code == 303

    # The drafter finds the comment next to the activity, in the current round.
    page = _page(drafter, plan_id)
    block = _block(page, f"comments-{key}")
    assert "Volume LLTT terlalu kecil" in block and "previous-round" not in block
    assert "Perbaiki kegiatan LLTT" in page  # the return comment stays in the history

    # … changes the volume and the funding, and submits again.
    edit_url = f"/plans/{plan_id}/activities/{activity_id}/edit"
    form = next(
        f
        for f in forms_of(unescape(drafter.get(edit_url).get_data(as_text=True)))
        if f["action"] == edit_url or f["action"] == ""
    )
    fields = dict(form["fields"])  # type: ignore[arg-type]
    fields.update({"volume": "1500", "funding-0-amount": "900000000", "save": "1"})
    assert drafter.post(edit_url, data=fields).status_code == 303
    assert _act(drafter, plan_id, "submit").status_code == 303

    # The reviewer sees what changed, naming the activity, and the earlier comment marked.
    page = _page(reviewer, plan_id)
    changes = page[page.index('id="changes"') :]
    changes = changes[: changes.index("</section>")]
    (change,) = re.findall(r'<li class="change change-changed".*?</ul>', changes, re.S)
    assert 'data-section="activities"' in change
    assert "Layanan LLTT (Pelaihari)" in change
    volume = re.search(r'data-field="volume">(.*?)</li>', change, re.S).group(1)
    assert re.search(r"1\.200</span> → <span class=\"new\">1\.500", volume)
    funding = re.search(
        r'data-field="funding" data-year="2026" data-source="apbd_district">(.*?)</li>',
        change,
        re.S,
    ).group(1)
    assert re.search(r"Rp850\.000\.000</span> → <span class=\"new\">Rp900\.000\.000", funding)
    block = _block(page, f"comments-{key}")
    assert "Volume LLTT terlalu kecil" in block and "previous-round" in block
    # Everyone who can see the plan sees the same section.
    assert 'id="changes"' in _page(_client_as(app, "head.6301"), plan_id)
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan_id).state == "district_review"
