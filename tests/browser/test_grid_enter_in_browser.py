"""Enter in a row of a grid form (an activity's funding, a plan's indicators) saves the form, as
in any other form, instead of adding an empty row; with JavaScript off, as every core flow."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from tests import factories
from tests.factories import PASSWORD
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

from .conftest import screenshot


def _log_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]


def _empty_plan(users: dict) -> ActionPlan:
    start, end = factories.free_period("6301")
    plan = ops.create_plan(
        users["drafter"],
        factories.regions()["6301"],
        title="Rencana Aksi Tanah Laut",
        period_start=start,
        period_end=end,
    )
    db.session.commit()
    return plan


def _stored(plan_id: int) -> ActionPlan:
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    assert plan is not None
    return plan


def test_enter_in_a_funding_row_saves_the_activity(
    app_ctx: Flask, users: dict, live_server: str, page_without_javascript: object
) -> None:
    page = page_without_javascript
    plan = _empty_plan(users)
    _log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans/{plan.id}/activities/new")  # type: ignore[attr-defined]
    page.fill("#title", "SPALD-S 300 KK")  # type: ignore[attr-defined]
    page.fill("#location", "Kec. Pelaihari")  # type: ignore[attr-defined]
    page.fill("#volume", "1.500")  # type: ignore[attr-defined]
    page.select_option("#funding-0-source", "dak")  # type: ignore[attr-defined]
    page.fill("#funding-0-amount", "1.500.000")  # type: ignore[attr-defined]

    with page.expect_navigation():  # type: ignore[attr-defined]
        page.press("#funding-0-amount", "Enter")  # type: ignore[attr-defined]

    assert page.url == f"{live_server}/plans/{plan.id}"  # type: ignore[attr-defined]
    screenshot(page, "grid-enter-activity-saved")
    (activity,) = _stored(plan.id).activities
    assert (activity.title, activity.volume) == ("SPALD-S 300 KK", Decimal(1500))
    assert [(f.source, f.amount) for f in activity.funding] == [("dak", 1_500_000)]


def test_enter_in_an_indicator_target_saves_the_indicators(
    app_ctx: Flask, users: dict, live_server: str, page: object
) -> None:
    plan = _empty_plan(users)
    _log_in(page, live_server, "drafter.6301")
    page.goto(f"{live_server}/plans/{plan.id}/indicators")  # type: ignore[attr-defined]
    page.fill("#rows-0-name", "Rumah tangga terlayani LLTT")  # type: ignore[attr-defined]
    page.fill("#rows-0-unit", "RT")  # type: ignore[attr-defined]
    target = f"#rows-0-target_{plan.period_end}"
    page.fill(target, "1.200")  # type: ignore[attr-defined]

    with page.expect_navigation():  # type: ignore[attr-defined]
        page.press(target, "Enter")  # type: ignore[attr-defined]

    assert page.url == f"{live_server}/plans/{plan.id}"  # type: ignore[attr-defined]
    (indicator,) = _stored(plan.id).indicators
    assert [(t.year, t.value) for t in indicator.targets] == [(plan.period_end, Decimal(1200))]
