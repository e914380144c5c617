"""One live plan per district and period: a second plan for years a live plan of the district
covers is refused (identical or overlapping periods, whatever state the live plan is in, also by
moving a draft's period), with a message naming that plan and nothing saved; a withdrawn or
closed plan leaves its years free; the provincial sync page shows the plan waiting for the
province, whatever other plan the district has."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.engine import InvalidInput
from workflow_app.extensions import db
from workflow_app.plans import live_period
from workflow_app.plans import operations as ops
from workflow_app.plans.live_period import PeriodTaken
from workflow_app.plans.models import ActionPlan, LivePlanYear
from workflow_app.unit_of_work import unit_of_work


def _plans() -> int:
    return db.session.scalar(select(func.count()).select_from(ActionPlan)) or 0


def _create(users: dict, start: int, end: int, code: str = "6301") -> ActionPlan:
    drafter = factories.district_people(users, code)["drafter"]
    with unit_of_work():
        return ops.create_plan(
            drafter,
            factories.regions()[code],
            title=f"Rencana Aksi {start}–{end}",
            period_start=start,
            period_end=end,
        )


@pytest.mark.parametrize(
    ("state", "period"),
    [
        ("draft", (2025, 2029)),  # the same period
        ("provincial_sync", (2027, 2031)),  # overlapping ones
        ("approved", (2021, 2025)),  # revising an approved plan is that plan's revision
        ("monitored", (2026, 2027)),
    ],
)
def test_a_second_plan_for_years_a_live_plan_covers_is_refused(
    app_ctx: Flask, users: dict, state: str, period: tuple[int, int]
) -> None:
    live = factories.plan_in_state(users, state, period=(2025, 2029))
    before = _plans()

    with pytest.raises(PeriodTaken) as refused:
        _create(users, *period)

    message = refused.value.message
    assert "Tanah Laut" in message and "2025–2029" in message and live.title in message
    assert refused.value.holder.id == live.id
    db.session.expire_all()
    assert _plans() == before  # nothing saved
    # Another district is not concerned.
    assert _create(users, *period, code="6304").id != live.id


def test_consecutive_periods_and_other_districts_are_free(app_ctx: Flask, users: dict) -> None:
    current = factories.plan_in_state(users, "monitored", period=(2025, 2029))
    following = _create(users, 2030, 2034)
    earlier = _create(users, 2020, 2024)
    assert {current.id, following.id, earlier.id} == {
        p.id for p in db.session.scalars(select(ActionPlan))
    }


@pytest.mark.parametrize("state", ["withdrawn", "closed"])
def test_a_withdrawn_or_closed_plan_leaves_its_years_free(
    app_ctx: Flask, users: dict, state: str
) -> None:
    ended = factories.plan_in_state(users, state, period=(2025, 2029))
    again = _create(users, 2025, 2029)
    assert again.id != ended.id
    held = set(db.session.scalars(select(LivePlanYear.plan_id)))
    assert held == {again.id}


def test_withdrawing_the_live_plan_frees_its_period_at_once(app_ctx: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "draft", period=(2025, 2029))
    with pytest.raises(PeriodTaken):
        _create(users, 2025, 2029)
    with unit_of_work():
        ops.transition(users["drafter"], plan, "withdraw")
    assert _create(users, 2025, 2029).id != plan.id


def test_moving_a_draft_onto_another_live_plan_s_years_is_refused(
    app_ctx: Flask, users: dict
) -> None:
    approved = factories.plan_in_state(users, "approved", period=(2025, 2029))
    draft = _create(users, 2030, 2034)
    version = draft.version

    with pytest.raises(PeriodTaken) as refused, unit_of_work():
        ops.update_header(
            users["drafter"],
            draft,
            expected_version=version,
            title="Dipindah",
            period_start=2029,
            period_end=2033,
        )

    assert refused.value.holder.id == approved.id
    db.session.expire_all()
    kept = db.session.get(ActionPlan, draft.id)
    assert (kept.title, kept.period_start, kept.period_end) == (
        "Rencana Aksi 2030–2034",
        2030,
        2034,
    )
    assert [row.year for row in kept.live_years] == list(range(2030, 2035))


def test_a_plan_moving_its_own_period_holds_the_new_years(app_ctx: Flask, users: dict) -> None:
    plan = _create(users, 2025, 2029)
    with unit_of_work():
        ops.update_header(
            users["drafter"],
            plan,
            expected_version=plan.version,
            title=plan.title,
            period_start=2027,
            period_end=2031,
        )
    db.session.expire_all()
    assert [row.year for row in db.session.get(ActionPlan, plan.id).live_years] == list(
        range(2027, 2032)
    )
    # The years it left are free again, those it took are not.
    assert _create(users, 2025, 2026).period_label == "2025–2026"
    with pytest.raises(PeriodTaken):
        _create(users, 2031, 2035)


def test_a_plan_made_since_the_check_is_caught_by_the_constraint(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when another request committed between this one's check and its write: the
    database refuses the years, and the refusal is the same, with nothing saved."""
    first = _create(users, 2025, 2029)
    before = _plans()
    monkeypatch.setattr(live_period, "check_free", lambda *args, **kwargs: None)

    with pytest.raises(PeriodTaken) as refused:
        _create(users, 2027, 2031)

    assert refused.value.holder.id == first.id
    assert "2025–2029" in refused.value.message
    db.session.expire_all()
    assert _plans() == before
    assert set(db.session.scalars(select(LivePlanYear.plan_id))) == {first.id}
    assert _create(users, 2030, 2034).period_label == "2030–2034"  # the session still works


def test_an_invalid_period_is_still_named_as_such(app_ctx: Flask, users: dict) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(users, 2029, 2025)
    assert not isinstance(refused.value, PeriodTaken)


# --- the pages ------------------------------------------------------------------------------


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_new_plan_page_refuses_a_taken_period_and_links_the_live_plan(
    app_ctx: Flask, users: dict
) -> None:
    live = factories.plan_in_state(users, "provincial_sync", period=(2025, 2029))
    before = _plans()
    client = signed_in(app_ctx, "drafter.6301")

    response = client.post(
        "/plans/new",
        data={
            "csrf_token": csrf_token(client, "/plans/new"),
            "title": "Rencana kosong",
            "period_start": "2025",
            "period_end": "2029",
        },
    )

    assert response.status_code == 400
    page = _page(response)
    refusal = re.search(r'<div [^>]*id="refusal">(.*?)</div>', page, re.S)
    assert refusal, "no refusal shown"
    assert "Tanah Laut" in refusal[1] and "2025–2029" in refusal[1] and live.title in refusal[1]
    assert f'href="/plans/{live.id}" id="taken-plan"' in refusal[1]
    assert 'value="Rencana kosong"' in page  # what was typed comes back
    db.session.expire_all()
    assert _plans() == before


def test_the_header_page_refuses_a_taken_period_with_the_reason_shown(
    app_ctx: Flask, users: dict
) -> None:
    factories.plan_in_state(users, "approved", period=(2025, 2029))
    draft = _create(users, 2030, 2034)
    client = signed_in(app_ctx, "drafter.6301")
    url = f"/plans/{draft.id}/edit"

    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "version": str(draft.version),
            "title": draft.title,
            "period_start": "2028",
            "period_end": "2032",
        },
    )

    assert response.status_code == 400
    refusal = re.search(r'<div [^>]*id="refusal">(.*?)</div>', _page(response), re.S)
    assert refusal and "2025–2029" in refusal[1]
    db.session.expire_all()
    assert db.session.get(ActionPlan, draft.id).period_label == "2030–2034"


def _sync_row(app: Flask) -> str:
    page = _page(signed_in(app, "provincial.63").get("/sync"))
    row = re.search(r'<tr id="row-6301".*?</tr>', page, re.S)
    assert row, "no row for 6301"
    return row[0]


@pytest.mark.parametrize("other", ["draft", "withdrawn", "returned"])
def test_the_sync_page_shows_the_plan_waiting_for_the_province(
    app_ctx: Flask, users: dict, other: str
) -> None:
    waiting = factories.plan_in_state(users, "provincial_sync", period=(2025, 2029))
    # A newer plan of the same district: for the next period, or withdrawn.
    newer = factories.plan_in_state(users, other, period=(2030, 2034))
    assert newer.created_at >= waiting.created_at

    row = _sync_row(app_ctx)

    assert f'data-plan="{waiting.id}" data-state="provincial_sync"' in row
    assert f'id="sync-action-approve-{waiting.id}"' in row
    assert f'id="sync-action-return-{waiting.id}"' in row
