"""What blocks an action comes as objects a script can act on: the item it is about (by its
place in the case's lists, as the API's bodies show them), a stable code, and the message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from workflow_app.extensions import db
from workflow_app.plans import operations as ops

from .. import factories


@pytest.fixture
def drafter(users: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(users['drafter'])}"}


def _problems(body: dict) -> list[tuple[str | None, str]]:
    return [(p["field"], p["code"]) for p in body["problems"]]


def test_an_incomplete_plan_names_each_item_to_fix(client: FlaskClient, users, drafter) -> None:
    plan = factories.complete_plan(users["drafter"])
    ops.add_activity(
        users["drafter"],
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="wastewater",
            activity_type="lltt",
            title="Tanpa dinas",
            location="Pelaihari",
            volume=None,
            unit="unit",
            agency_id=None,
            start_year=2026,
            end_year=2027,
            funding=[],
        ),
    )
    targets = {year: Decimal(10) for year in range(2025, 2030)}
    ops.replace_indicators(
        users["drafter"],
        plan,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name="Lengkap",
                unit="%",
                baseline_year=2024,
                baseline_value=Decimal(1),
                targets=targets,
            ),
            ops.IndicatorData(
                name="Tanpa target 2027",
                unit="%",
                baseline_year=2024,
                baseline_value=Decimal(1),
                targets={y: v for y, v in targets.items() if y != 2027},
            ),
            ops.IndicatorData(
                name="Tanpa baseline",
                unit="%",
                baseline_year=None,
                baseline_value=None,
                targets=targets,
            ),
        ],
    )
    db.session.commit()
    expected = [
        ("activities[1].agency_id", "activity_without_agency"),
        ("activities[1].funding", "activity_without_funding"),
        ("indicators[1].target_2027", "indicator_without_target"),
        ("indicators[2].baseline_year", "indicator_without_baseline"),
    ]
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=drafter).get_json()
    assert detail["activities"][1]["title"] == "Tanpa dinas"  # the place named is the body's
    assert detail["indicators"][1]["name"] == "Tanpa target 2027"
    submit = next(t for t in detail["transitions"] if t["trigger"] == "submit")
    assert _problems(submit) == expected
    assert "2027" in submit["problems"][2]["message"]
    refused = client.post(
        f"/api/v1/plans/{plan.id}/transitions",
        json={"trigger": "submit", "version": detail["version"]},
        headers=drafter,
    )
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "guard_failed"
    assert body["problems"] == submit["problems"]
    assert all(set(p) == {"field", "code", "message"} and p["message"] for p in body["problems"])


def test_an_unfilled_report_names_its_lines(client: FlaskClient, users, drafter) -> None:
    _, report = factories.reported_plan(users, report_state="due")
    detail = client.get(f"/api/v1/reports/{report.id}", headers=drafter).get_json()
    refused = client.post(
        f"/api/v1/reports/{report.id}/transitions",
        json={"trigger": "submit", "version": detail["version"]},
        headers=drafter,
    )
    assert refused.status_code == 409, refused.get_data(as_text=True)
    body = refused.get_json()
    assert _problems(body) == [
        (f"lines[{i}]", "line_incomplete") for i in range(len(detail["lines"]))
    ]
    assert detail["lines"][0]["activity_title"] in body["problems"][0]["message"]
