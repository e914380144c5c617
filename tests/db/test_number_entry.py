"""Numbers typed on the web the Indonesian way, in every form: a volume or a target of 1.500 is
fifteen hundred as a Rupiah amount of 1.500.000 is one and a half million; a bad entry gets one
message; a percentage is 0–100 (an indicator whose unit is "%" too); funding outside the
activity's years is refused as the import refuses it; Enter in a row saves the form."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import login
from tests.db.test_report_views import client_as, line_fields, post_figures, stored
from tests.db.test_views_editing import (
    activity_fields,
    empty_plan,
    form_on,
    forms_of,
    fresh,
    said,
    text,
)
from tests.factories import monitored_plan_with_report
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

PERCENT = "Enter a percentage from 0 to 100."


@pytest.fixture
def drafter(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, users["drafter"].username)
    return client


@pytest.fixture
def plan(users: dict) -> ActionPlan:
    return empty_plan(users)


def messages_next_to(response: TestResponse, field_id: str) -> list[str]:
    """Every error shown next to the field (the `field` macro numbers the second and later)."""
    return re.findall(rf'id="{re.escape(field_id)}-error(?:-\d+)?">([^<]*)<', text(response))


# --- activities --------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "volume"), [("1.500", 1500), ("1.500,5", "1500.5")])
def test_a_volume_is_typed_with_indonesian_grouping(
    drafter: FlaskClient, plan: ActionPlan, typed: str, volume: object
) -> None:
    fields = activity_fields(drafter, plan)
    fields["volume"] = typed
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 303, messages_next_to(response, "volume")
    activity = fresh(plan.id).activities[0]
    assert activity.volume == Decimal(volume)  # type: ignore[arg-type]
    # Shown again as it is typed.
    edit = form_on(drafter, f"/plans/{plan.id}/activities/{activity.id}/edit")
    assert edit["volume"] == typed


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("banyak", "Not a valid number. Write it like 1.500 or 12,5."),
        ("-5", "The volume cannot be negative."),
        (
            "12,500",
            "Use at most two decimals (a comma starts the decimals: 12,5; "
            "a dot groups thousands: 1.200).",
        ),
    ],
)
def test_a_bad_volume_gets_one_message(
    drafter: FlaskClient, plan: ActionPlan, typed: str, message: str
) -> None:
    fields = activity_fields(drafter, plan)
    fields["volume"] = typed
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert messages_next_to(response, "volume") == [said(message)]
    assert forms_of(text(response))[-1]["fields"]["volume"] == typed  # type: ignore[index]
    assert fresh(plan.id).activities == []


def test_funding_outside_the_activity_s_years_is_refused_as_the_import_refuses_it(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    version = plan.version
    fields = activity_fields(drafter, plan)  # the activity runs 2026–2027
    fields.update({"funding-0-year": "2028"})
    response = drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"})
    assert response.status_code == 400
    expected = said("The year is outside the activity's schedule (%(start)d–%(end)d).")
    assert messages_next_to(response, "funding-0-year") == [expected % {"start": 2026, "end": 2027}]
    assert (fresh(plan.id).activities, fresh(plan.id).version) == ([], version)

    # Within the years it is saved.
    fields["funding-0-year"] = "2027"
    assert (
        drafter.post(f"/plans/{plan.id}/activities/new", data={**fields, "save": "1"}).status_code
        == 303
    )


def test_the_operation_refuses_funding_outside_the_years_for_every_caller(
    users: dict, plan: ActionPlan
) -> None:
    data = ops.ActivityData(
        sub_sector="wastewater",
        activity_type="lltt",
        title="Layanan LLTT",
        location="Pelaihari",
        volume=None,
        unit="",
        agency_id=None,
        start_year=2026,
        end_year=2027,
        funding=[ops.FundingData(year=2029, source="dak", amount=1_000_000)],
    )
    with pytest.raises(ops.InvalidInput, match=r"Layanan LLTT.*2029.*2026–2027"):
        ops.add_activity(users["drafter"], plan, expected_version=None, data=data)


@pytest.mark.parametrize("url", ["/plans/{id}/activities/new", "/plans/{id}/indicators"])
def test_the_first_submit_button_of_a_grid_form_saves(
    drafter: FlaskClient, plan: ActionPlan, url: str
) -> None:
    # Enter in a text field presses the form's first submit button: it must be "save".
    page = text(drafter.get(url.format(id=plan.id)))
    form = page[page.index('<form method="post" novalidate') :]
    first = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form)
    assert first and 'name="save"' in first.group(0), first


# --- indicators --------------------------------------------------------------------------------


def indicator_fields(client: FlaskClient, plan: ActionPlan, unit: str) -> dict[str, str]:
    fields = form_on(client, f"/plans/{plan.id}/indicators")
    fields.update(
        {
            "rows-0-name": "Cakupan layanan",
            "rows-0-unit": unit,
            "rows-0-baseline_year": "2024",
            "rows-0-baseline_value": "12,5",
            "rows-0-target_2026": "40",
        }
    )
    return fields


def test_a_percentage_target_above_100_is_refused_with_one_message(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    version = plan.version
    fields = indicator_fields(drafter, plan, "%")
    fields.update({"rows-0-target_2027": "150", "rows-0-baseline_value": "100,5"})
    response = drafter.post(f"/plans/{plan.id}/indicators", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert messages_next_to(response, "rows-0-target_2027") == [said(PERCENT)]
    assert messages_next_to(response, "rows-0-baseline_value") == [said(PERCENT)]
    assert messages_next_to(response, "rows-0-target_2026") == []
    assert (fresh(plan.id).indicators, fresh(plan.id).version) == ([], version)


def test_a_count_target_is_typed_with_grouping_and_may_exceed_100(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    fields = indicator_fields(drafter, plan, "RT")
    fields.update({"rows-0-target_2027": "1.500", "rows-0-target_2028": "2.250,5"})
    response = drafter.post(f"/plans/{plan.id}/indicators", data={**fields, "save": "1"})
    assert response.status_code == 303
    targets = {t.year: t.value for t in fresh(plan.id).indicators[0].targets}
    assert targets == {2026: 40, 2027: 1500, 2028: Decimal("2250.5")}


def test_a_bad_target_gets_one_message(drafter: FlaskClient, plan: ActionPlan) -> None:
    fields = indicator_fields(drafter, plan, "RT")
    fields["rows-0-target_2027"] = "banyak"
    response = drafter.post(f"/plans/{plan.id}/indicators", data={**fields, "save": "1"})
    assert response.status_code == 400
    assert messages_next_to(response, "rows-0-target_2027") == [
        said("Not a valid number. Write it like 1.500 or 12,5.")
    ]


def test_the_operation_holds_a_percentage_indicator_to_100(users: dict, plan: ActionPlan) -> None:
    data = ops.IndicatorData(
        name="% rumah tangga BABS", unit="%", baseline_year=2024, baseline_value=Decimal(10)
    )
    data.targets = {2026: Decimal(150)}
    with pytest.raises(ops.InvalidInput, match="% rumah tangga BABS"):
        ops.replace_indicators(users["drafter"], plan, expected_version=None, indicators=[data])
    assert fresh(plan.id).indicators == []


# --- a report ------------------------------------------------------------------------------------


def test_a_report_reads_grouped_numbers_and_holds_percentages_to_100(
    app_ctx: Flask, users: dict
) -> None:
    plan, report = monitored_plan_with_report(users)
    activity_id = report.lines[0].activity_id
    indicator = plan.indicators[0]  # "% rumah tangga dengan akses sanitasi aman", unit "%"
    client = client_as(app_ctx, "drafter.6301")

    refused = post_figures(
        client,
        report,
        {
            **line_fields(activity_id, physical_progress="45", output_achieved="1.200"),
            f"indicator_{indicator.id}": "150",
        },
    )
    assert refused.status_code == 400
    assert messages_next_to(refused, f"indicator_{indicator.id}") == [said(PERCENT)]
    assert stored(report.id).indicator_values == []

    saved = post_figures(
        client,
        report,
        {
            **line_fields(activity_id, physical_progress="45,5", output_achieved="1.200"),
            f"indicator_{indicator.id}": "63,5",
        },
    )
    assert saved.status_code == 303
    line = stored(report.id).lines[0]
    assert (line.physical_progress, line.output_achieved) == (Decimal("45.5"), 1200)
    assert [v.value for v in stored(report.id).indicator_values] == [Decimal("63.5")]


def test_the_report_operation_holds_a_percentage_indicator_to_100(
    app_ctx: Flask, users: dict
) -> None:
    from workflow_app.monitoring import operations as report_ops

    plan, report = monitored_plan_with_report(users)
    with pytest.raises(ops.InvalidInput, match="sanitasi aman"):
        report_ops.save_report(
            users["drafter"],
            report,
            expected_version=None,
            lines=[],
            indicator_values={plan.indicators[0].id: Decimal(101)},
        )
    db.session.rollback()
