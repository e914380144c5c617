"""Names typed by districts reach the sync workspace's inline SVG charts escaped: a script in
an indicator's name is text, never markup."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import login
from workflow_app.extensions import db
from workflow_app.plans import operations as ops

HOSTILE = "% sanitasi aman <script>alert(1)</script>"


def test_an_indicator_name_with_markup_is_shown_as_text(
    app_ctx: Flask, client: FlaskClient, users: dict
) -> None:
    plan = factories.complete_plan(users["drafter"])
    ops.replace_indicators(
        users["drafter"],
        plan,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name=HOSTILE,
                unit="%",
                baseline_year=2024,
                baseline_value=Decimal("6"),
                targets={year: Decimal(year - 2016) for year in range(2025, 2030)},
            )
        ],
    )
    db.session.commit()
    login(client, "provincial.63")
    html = client.get("/sync").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
