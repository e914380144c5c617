"""/api/v1/workflows and the lookups: a client reads state and trigger names, labels, SLAs,
a declared kind's fields, regions, agencies, the closed lists and who it is from the API,
and lists and revokes its own tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from workflow_app.accounts.delegations import create_delegation
from workflow_app.accounts.models import wita_today
from workflow_app.api.models import ApiToken
from workflow_app.audit.admin_log import Action
from workflow_app.audit.admin_models import AdminAct
from workflow_app.cases.kinds import declared_kinds
from workflow_app.extensions import db
from workflow_app.plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from workflow_app.unit_of_work import unit_of_work
from workflow_app.workflows import PLAN_WORKFLOW, registry

from .. import factories
from ..conftest import login


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def auth(users: dict) -> dict[str, str]:
    return bearer(factories.api_token(users["drafter"]))


def get(client: FlaskClient, url: str, headers: dict[str, str]) -> dict:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_every_lookup_needs_a_token(client: FlaskClient, users) -> None:
    for url in ("/workflows", "/workflows/action_plan", "/regions", "/agencies"):
        assert client.get(f"/api/v1{url}").status_code == 401
    for url in ("/vocabularies", "/me", "/tokens"):
        assert client.get(f"/api/v1{url}").status_code == 401


def test_the_workflow_list_names_each_workflow_and_its_kind(
    client: FlaskClient, users, auth
) -> None:
    body = get(client, "/api/v1/workflows", auth)
    served = {item["name"]: item for item in body["items"]}
    assert set(served) == set(registry().names())
    plan = served[PLAN_WORKFLOW]
    current = registry().latest(PLAN_WORKFLOW)
    assert plan["version"] == current.version
    assert plan["versions"] == [d.version for d in registry().versions_of(PLAN_WORKFLOW)]
    assert plan["case_kind"] == "plan"
    assert plan["label"] == {"id": current.label.id, "en": current.label.en}
    assert served["sk_pokja"]["case_kind"] == "sk_pokja"
    assert get(client, plan["url"], auth)["name"] == PLAN_WORKFLOW


def test_the_served_plan_workflow_is_the_loaded_definition(
    client: FlaskClient, users, auth
) -> None:
    loaded = registry().latest(PLAN_WORKFLOW)
    body = get(client, "/api/v1/workflows/action_plan", auth)
    assert body["version"] == body["current_version"] == loaded.version
    assert body["initial"] == loaded.initial
    assert [s["name"] for s in body["states"]] == list(loaded.states)
    assert [t["trigger"] for t in body["transitions"]] == [t.trigger for t in loaded.transitions]
    for served, engine in zip(body["transitions"], loaded.transitions, strict=True):
        assert served["sources"] == list(engine.sources)
        assert served["dest"] == engine.dest
        assert set(served["roles"]) == set(engine.roles)
        assert served["comment_required"] == engine.comment_required
        assert served["confirm"] == engine.confirm
        assert served["label"] == {"id": engine.label.id, "en": engine.label.en}
    assert {r["name"] for r in body["roles"]} == set(loaded.roles)
    assert body["fields"] is None  # a built-in kind declares no fields


def test_a_state_has_both_labels_its_owner_and_its_sla(client: FlaskClient, users, auth) -> None:
    loaded = registry().latest(PLAN_WORKFLOW)
    name, deadline = next(iter(loaded.deadlines.items()))
    body = get(client, "/api/v1/workflows/action_plan", auth)
    state = next(s for s in body["states"] if s["name"] == name)
    spec = loaded.states[name]
    assert state["label"] == {"id": spec.label.id, "en": spec.label.en}
    assert state["label"]["id"] != state["label"]["en"]
    assert state["owner"] == spec.owner
    assert state["sla_working_days"] == deadline.sla
    assert [(s["name"], s["at"], s["kind"]) for s in state["steps"]] == [
        (s.name, s.at, s.kind) for s in deadline.steps
    ]
    without = [s for s in body["states"] if s["name"] not in loaded.deadlines]
    assert without and all(s["sla_working_days"] is None for s in without)
    confirmed = [t for t in body["transitions"] if t["confirm"]]
    assert confirmed and all(t["consequence"]["en"] for t in confirmed)


def test_a_declared_kind_serves_its_fields(client: FlaskClient, users, auth) -> None:
    spec = registry().latest("sk_pokja").case
    assert spec is not None
    body = get(client, "/api/v1/workflows/sk_pokja", auth)
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields) == list(spec.fields)
    for name, declared in spec.fields.items():
        assert fields[name]["type"] == declared.type
        assert fields[name]["required"] == declared.required
        assert fields[name]["label"] == {"id": declared.label.id, "en": declared.label.en}
        assert [c["value"] for c in fields[name]["choices"]] == [v for v, _ in declared.options]
        assert [c["name"] for c in fields[name]["columns"]] == [c.name for c in declared.columns]
    assert any(f["choices"] for f in fields.values())


def test_a_kept_version_is_served_on_request_and_an_unknown_one_is_not_found(
    client: FlaskClient, users, auth
) -> None:
    versions = registry().versions_of(PLAN_WORKFLOW)
    kept = versions[0]
    assert kept.version != registry().latest(PLAN_WORKFLOW).version
    body = get(client, f"/api/v1/workflows/action_plan?version={kept.version}", auth)
    assert body["version"] == kept.version
    assert body["current_version"] == registry().latest(PLAN_WORKFLOW).version
    assert [t["trigger"] for t in body["transitions"]] == [t.trigger for t in kept.transitions]
    missing = client.get("/api/v1/workflows/action_plan?version=999", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    unknown = client.get("/api/v1/workflows/no_such_flow", headers=auth)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not_found"
    bad = client.get("/api/v1/workflows/action_plan?version=x", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["code"] == "validation_error"


def test_regions_agencies_and_vocabularies(client: FlaskClient, users, auth) -> None:
    regions = {r["code"]: r for r in get(client, "/api/v1/regions", auth)["items"]}
    assert regions["63"] == {
        "code": "63",
        "name": "Kalimantan Selatan",
        "kind": "province",
        "parent": None,
    }
    assert regions["6371"]["kind"] == "city" and regions["6371"]["parent"] == "63"
    # Every region, not only the caller's district: lookups are no secret.
    assert {"6301", "6304"} <= set(regions)

    pupr = factories.agency("6301")
    factories.agency("6304", "DLH")
    db.session.commit()
    items = get(client, "/api/v1/agencies?region=6301", auth)["items"]
    assert {"id": pupr.id, "short_name": "Dinas PUPR", "name": pupr.name, "region": "6301"} in (
        items
    )
    assert {a["region"] for a in items} == {"6301"}
    everywhere = get(client, "/api/v1/agencies", auth)["items"]
    assert {"6301", "6304"} <= {a["region"] for a in everywhere}
    assert client.get("/api/v1/agencies?region=9999", headers=auth).status_code == 404

    vocabularies = get(client, "/api/v1/vocabularies", auth)
    for key, closed in (
        ("sub_sectors", SUB_SECTORS),
        ("funding_sources", FUNDING_SOURCES),
        ("activity_types", ACTIVITY_TYPES),
    ):
        assert [t["code"] for t in vocabularies[key]] == list(closed)
    wastewater = next(t for t in vocabularies["sub_sectors"] if t["code"] == "wastewater")
    assert wastewater["label"] == {"id": "Air limbah domestik", "en": "Domestic wastewater"}
    apbn = next(t for t in vocabularies["funding_sources"] if t["code"] == "apbn")
    assert apbn["label"] == {"id": "APBN", "en": "APBN"}


def test_me_names_the_callers_roles_and_the_delegations_they_act_under(
    client: FlaskClient, users
) -> None:
    head, reviewer = users["head"], users["reviewer"]
    today = wita_today()
    with unit_of_work():
        delegation = create_delegation(
            head,
            delegator=head,
            delegate=reviewer,
            role="district_head",
            region=factories.regions()["6301"],
            starts_on=today,
            ends_on=today + timedelta(days=3),
        )
    body = get(client, "/api/v1/me", bearer(factories.api_token(reviewer)))
    assert body["username"] == reviewer.username
    assert body["full_name"] == reviewer.full_name
    assert body["language"] == reviewer.language
    role = registry().roles["district_reviewer"]
    assert body["roles"] == [
        {
            "role": "district_reviewer",
            "label": {"id": role.label.id, "en": role.label.en},
            "region": "6301",
        }
    ]
    [held] = body["delegations"]
    assert held["id"] == delegation.id
    assert (held["role"], held["region"], held["acting_for"]) == (
        "district_head",
        "6301",
        head.username,
    )
    assert held["starts_on"] == today.isoformat()
    # The delegator holds no delegation.
    assert get(client, "/api/v1/me", bearer(factories.api_token(head)))["delegations"] == []


def test_a_user_lists_and_revokes_their_own_tokens(client: FlaskClient, users) -> None:
    drafter = users["drafter"]
    caller = bearer(factories.api_token(drafter, "caller"))
    spare_secret = factories.api_token(drafter, "spare")
    other_secret = factories.api_token(users["reviewer"], "the reviewer's")
    listed = get(client, "/api/v1/tokens", caller)["items"]
    assert [t["name"] for t in listed] == ["spare", "caller"]  # the newest first
    assert all("hash" not in key for t in listed for key in t)
    assert listed[0]["prefix"] == spare_secret[:8]
    assert listed[0]["revoked_at"] is None
    spare_id = listed[0]["id"]

    other_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "the reviewer's"))
    refused = client.delete(f"/api/v1/tokens/{other_id}", headers=caller)
    assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
    assert client.get("/api/v1/me", headers=bearer(other_secret)).status_code == 200

    revoked = client.delete(f"/api/v1/tokens/{spare_id}", headers=caller)
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    assert revoked.get_json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(spare_secret)).status_code == 401
    again = client.delete(f"/api/v1/tokens/{spare_id}", headers=caller)
    assert again.get_json()["revoked_at"] == revoked.get_json()["revoked_at"]
    # Revoked through the one door: the act is recorded once, naming the token.
    acts = db.session.scalars(select(AdminAct).where(AdminAct.action == Action.TOKEN_REVOKED)).all()
    assert [(a.details["token_id"], a.actor_id) for a in acts] == [(spare_id, drafter.id)]


def test_a_revocation_by_api_names_the_tokens_user_whatever_cookie_is_sent(
    client: FlaskClient, users
) -> None:
    drafter = users["drafter"]
    caller = bearer(factories.api_token(drafter, "caller"))
    spare_id = db.session.scalar(
        select(ApiToken.id).where(ApiToken.user_id == drafter.id, ApiToken.name == "caller")
    )
    login(client, users["admin"].username)  # a web session of someone else in the same client
    assert client.delete(f"/api/v1/tokens/{spare_id}", headers=caller).status_code == 200
    act = db.session.scalar(select(AdminAct).where(AdminAct.action == Action.TOKEN_REVOKED))
    assert act is not None and act.actor_id == drafter.id


def test_the_document_names_the_declared_kinds_their_states_and_actions(client) -> None:
    """Kinds declared as data share /cases/{kind}/…: their names, states and actions are
    enums in the document, taken from the loaded definitions, so no client hard-codes them."""
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    kinds = sorted(declared_kinds(), key=lambda kind: kind.name)
    assert schemas["CaseKind"]["enum"] == [kind.name for kind in kinds]
    assert set(schemas["CaseState"]["enum"]) == {
        state for kind in kinds for d in registry().versions_of(kind.workflow) for state in d.states
    }
    assert set(schemas["CaseTrigger"]["enum"]) == {
        name for kind in kinds for d in registry().versions_of(kind.workflow) for name in d.triggers
    }
    fire = document["paths"]["/api/v1/cases/{kind}/{case_id}/transitions"]["post"]
    body = fire["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/CaseTransitionRequest")
    assert schemas["CaseTransitionRequest"]["properties"]["trigger"]["$ref"].endswith(
        "/CaseTrigger"
    )
    for path, item in document["paths"].items():
        for operation in item.values() if path.startswith("/api/v1/cases/{kind}") else ():
            kind = next(p for p in operation["parameters"] if p["name"] == "kind")
            assert kind["schema"]["$ref"].endswith("/CaseKind"), path
