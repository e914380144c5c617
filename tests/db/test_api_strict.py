"""The API validates strictly: numbers are numbers, unknown parameters and state names are
refused rather than ignored, so a client's mistake never passes as a different request."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan

from .. import factories
from .test_api import assert_error, bearer, history_count


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


@pytest.mark.parametrize("version", ["{v}", True, "{v}.5", None])
def test_a_version_that_is_not_an_integer_is_refused_and_changes_nothing(
    client: FlaskClient,
    users,
    tokens,
    version,
) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    before = (plan.state, plan.version, history_count(plan.id))
    if isinstance(version, str) and version.endswith(".5"):
        sent = f'{{"trigger": "submit", "version": {plan.version}.5}}'  # not a whole number
    elif isinstance(version, str):
        sent = f'{{"trigger": "submit", "version": "{plan.version}"}}'  # a JSON string
    elif version is True:
        sent = '{"trigger": "submit", "version": true}'
    else:
        sent = f'{{"trigger": "submit", "version": {plan.version}, "extra": 1}}'
    response = client.post(
        f"/api/v1/plans/{plan.id}/transitions",
        data=sent,
        content_type="application/json",
        headers=tokens["drafter"],
    )
    body = assert_error(response, 400, "validation_error")
    assert ("version" if version is not None else "extra") in body["fields"]
    db.session.expire_all()
    after = db.session.get(ActionPlan, plan.id)
    assert (after.state, after.version, history_count(plan.id)) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("regoin=6371", "regoin"),
        ("region=6301&sate=draft", "sate"),
        ("limit=3.0", "limit"),
        ("limit=true", "limit"),
        ("year=2027.0", "year"),
        ("state=nope", "state"),
        ("state=draft&state=approved", "state"),
    ],
)
def test_unknown_parameters_states_and_loose_numbers_in_queries_are_refused(
    client: FlaskClient,
    users,
    tokens,
    query,
    field,
) -> None:
    factories.plan_in_state(users, "draft")
    db.session.commit()
    body = assert_error(
        client.get(f"/api/v1/plans?{query}", headers=tokens["admin"]), 400, "validation_error"
    )
    assert field in body["fields"]


def test_endpoints_without_parameters_refuse_any(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    response = client.get(f"/api/v1/plans/{plan.id}?verbose=1", headers=tokens["admin"])
    assert "verbose" in assert_error(response, 400, "validation_error")["fields"]
    assert client.get(f"/api/v1/plans/{plan.id}", headers=tokens["admin"]).status_code == 200


def test_an_unknown_state_of_a_declared_kind_is_refused(
    client: FlaskClient,
    users,
    tokens,
) -> None:
    response = client.get("/api/v1/cases/sk_pokja?state=nope", headers=tokens["admin"])
    assert "state" in assert_error(response, 400, "validation_error")["fields"]
    assert (
        client.get("/api/v1/cases/sk_pokja?state=draft", headers=tokens["admin"]).status_code == 200
    )


def test_a_stale_answer_says_the_current_version_and_state(
    client: FlaskClient, users, tokens
) -> None:
    plan = factories.plan_in_state(users, "draft")
    old = plan.version
    ops.replace_challenges(users["drafter"], plan, expected_version=None, descriptions=["Baru"])
    db.session.commit()
    current = plan.version
    assert current != old
    response = client.post(
        f"/api/v1/plans/{plan.id}/transitions",
        json={"trigger": "submit", "version": old},
        headers=tokens["drafter"],
    )
    body = assert_error(response, 409, "stale")
    assert (body["current_version"], body["current_state"]) == (current, "draft")


def test_the_document_lists_states_and_triggers_of_the_loaded_definitions(
    client: FlaskClient, users
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert {"draft", "district_review", "approved"} <= set(schemas["PlanState"]["enum"])
    assert {"submit", "return", "approve"} <= set(schemas["PlanTrigger"]["enum"])
    assert "verify" in schemas["ReportTrigger"]["enum"]
    assert schemas["PlanDetail"]["properties"]["state"] == {
        "$ref": "#/components/schemas/PlanState"
    }
    fire = document["paths"]["/api/v1/plans/{plan_id}/transitions"]["post"]
    body = fire["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/PlanTransitionRequest")
    assert schemas["PlanTransitionRequest"]["properties"]["trigger"]["$ref"].endswith(
        "/PlanTrigger"
    )
    listed = document["paths"]["/api/v1/plans"]["get"]["parameters"]
    state = next(p for p in listed if p["name"] == "state")
    assert state["schema"]["$ref"].endswith("/PlanState")


def test_decimals_are_text_of_a_documented_pattern(client: FlaskClient, users, tokens) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    pattern = schemas["Target"]["properties"]["value"]["pattern"]
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=tokens["drafter"]).get_json()
    values = [t["value"] for i in detail["indicators"] for t in i["targets"]]
    assert values
    assert all(isinstance(v, str) and re.fullmatch(pattern, v) for v in values)


def test_options_answers_json_with_the_allowed_methods(client: FlaskClient, users) -> None:
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    response = client.options(f"/api/v1/plans/{plan.id}/transitions")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    allowed = set(response.get_json()["allow"])
    assert {"GET", "POST", "OPTIONS"} <= allowed
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed
