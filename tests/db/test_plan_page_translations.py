"""The plan page translates the labels its table rows repeat (the card layout's data-label of
every cell, the realisation's per-report and per-indicator headings) once per page, not once
per row: a plan with more activities, indicators and reports costs no more translations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from workflow_app import templating
from workflow_app.accounts.system import system_user
from workflow_app.deadlines.calendar_store import current_calendar
from workflow_app.extensions import db
from workflow_app.monitoring.operations import open_report
from workflow_app.monitoring.quarters import Quarter
from workflow_app.plans import operations as ops

from .. import factories
from ..conftest import signed_in


def _translations(app: Flask, monkeypatch: pytest.MonkeyPatch, url: str) -> int:
    """How many times the templates' gettext looked up the translations for the page."""
    client = signed_in(app, "provincial.63")
    with app.app_context():
        assert client.get(url).status_code == 200  # warm
    calls = 0
    original = templating._page_translations

    def counted() -> object:
        nonlocal calls
        calls += 1
        return original()

    # The templates' gettext and ngettext (templating.init_templating) call it by this name.
    monkeypatch.setattr(templating, "_page_translations", counted)
    with app.app_context():
        assert client.get(url, headers={"Accept-Language": "en"}).status_code == 200
    monkeypatch.setattr(templating, "_page_translations", original)
    return calls


def _more_contents(users: dict, plan: object) -> None:
    """Three more funded activities and one more indicator, as a plan under way has."""
    drafter = users["drafter"]
    for n in range(3):
        funding = [ops.FundingData(year=2026, source="dak", amount=10**8)]
        data = ops.ActivityData(
            sub_sector="wastewater",
            activity_type="lltt",
            title=f"Kegiatan {n}",
            location="Pelaihari",
            volume=Decimal(n + 1),
            unit="unit",
            agency_id=factories.agency("6301").id,
            start_year=2026,
            end_year=2026,
            funding=funding,
        )
        ops.add_activity(drafter, plan, expected_version=None, data=data)


def test_more_rows_cost_no_more_translations(
    app_ctx: Flask, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, _ = factories.reported_plan(users, "6301")
    large = factories.plan_in_state(users, "draft", period=(2031, 2035))
    _more_contents(users, large)
    db.session.commit()
    # The large plan monitored too, with two reports: more report rows as well.
    people = factories.district_people(users, "6301")
    for who, trigger in (
        ("drafter", "submit"),
        ("reviewer", "forward"),
        ("provincial", "approve"),
        ("provincial", "start_monitoring"),
    ):
        ops.transition(people[who], large, trigger)
    db.session.commit()
    for quarter in (Quarter(2032, 1), Quarter(2032, 2)):
        assert open_report(system_user(), large, quarter, current_calendar()) is not None
    db.session.commit()

    few = _translations(app_ctx, monkeypatch, f"/plans/{small.id}")
    many = _translations(app_ctx, monkeypatch, f"/plans/{large.id}")

    assert few > 0
    assert many == few
