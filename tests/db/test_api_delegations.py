"""/api/v1/delegations: acting officials (Plt/Plh) as on the web's page: the caller's
delegations given and received, handing over a role by the same rules (each refusal naming
its field), ending one early; recorded in the administrators' log with the token's user as
the actor, whatever browser session is sent along."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts.delegations import create_delegation
from workflow_app.accounts.models import Delegation, User, wita_today
from workflow_app.audit.admin_log import Action
from workflow_app.audit.admin_models import AdminAct
from workflow_app.extensions import db
from workflow_app.unit_of_work import unit_of_work


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.api_token(user)}"}


def _request(**changes: object) -> dict[str, object]:
    today = wita_today()
    body: dict[str, object] = {
        "role": "district_drafter",
        "region": "6301",
        "delegate": "reviewer.6301",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=6)).isoformat(),
        "note": "Cuti",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _acts(action: Action) -> list[AdminAct]:
    return list(db.session.scalars(select(AdminAct).where(AdminAct.action == action.value)))


def test_a_holder_hands_over_a_role_and_both_see_it(
    client: FlaskClient, users: dict[str, User]
) -> None:
    drafter = bearer(users["drafter"])
    response = client.post("/api/v1/delegations", json=_request(), headers=drafter)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/delegations/{created['id']}"
    assert created["delegator"]["username"] == "drafter.6301"
    assert created["delegate"]["username"] == "reviewer.6301"
    assert created["region"]["code"] == "6301" and created["status"] == "active"
    assert created["role_label"]["id"] == "penyusun kabupaten/kota"
    assert created["can_end"] is True and created["note"] == "Cuti"
    assert client.get(response.headers["Location"], headers=drafter).get_json() == created

    page = client.get("/api/v1/delegations", headers=drafter).get_json()
    assert [x["id"] for x in page["given"]] == [created["id"]]
    assert page["received"] == [] and page["everything"] == []
    assert [(a["role"], a["region"]["code"]) for a in page["assignable"]] == [
        ("district_drafter", "6301")
    ]
    received = client.get("/api/v1/delegations", headers=bearer(users["reviewer"])).get_json()
    assert [x["id"] for x in received["received"]] == [created["id"]]
    # The delegate acts under it at once (GET /me lists it).
    me = client.get("/api/v1/me", headers=bearer(users["reviewer"])).get_json()
    assert [x["id"] for x in me["delegations"]] == [created["id"]]


def test_the_log_names_the_tokens_user_even_with_another_session_sent_along(
    app_ctx, users: dict[str, User]
) -> None:
    """A browser signed in as the admin sends a district drafter's token: the act is the
    drafter's, and the admin's powers do not apply."""
    browser = signed_in(app_ctx, "admin")
    headers = bearer(users["drafter"])
    response = browser.post(
        "/api/v1/delegations", json=_request(delegator="head.6301"), headers=headers
    )
    assert response.status_code == 403
    response = browser.post("/api/v1/delegations", json=_request(), headers=headers)
    assert response.status_code == 201
    delegation_id = response.get_json()["id"]
    (act,) = _acts(Action.DELEGATION_CREATED)
    assert act.actor_label == "drafter.6301" and act.details["delegation_id"] == delegation_id
    ended = browser.post(f"/api/v1/delegations/{delegation_id}/end", headers=headers)
    assert ended.status_code == 200
    assert ended.get_json()["status"] == "ended_early"
    assert ended.get_json()["ended_by"]["username"] == "drafter.6301"
    (end,) = _acts(Action.DELEGATION_ENDED)
    assert end.actor_label == "drafter.6301"


def test_a_delegation_to_another_districts_official_is_refused_with_the_operations_words(
    client: FlaskClient, users: dict[str, User]
) -> None:
    response = client.post(
        "/api/v1/delegations",
        json=_request(delegate="drafter.6304"),
        headers=bearer(users["drafter"]),
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "validation_error"
    (message,) = body["fields"]["delegate"]
    assert message.startswith("This user holds no role in Tanah Laut")
    assert db.session.scalar(select(Delegation.id)) is None
    assert _acts(Action.DELEGATION_CREATED) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"delegate": "nobody"}, "delegate", "No active user has this username."),
        ({"delegate": "drafter.6301"}, "delegate", "cannot be delegated to its own holder"),
        ({"role": "district_head"}, "role", "does not hold this role"),
        ({"region": "6304"}, "role", "does not hold this role"),
        ({"starts_on": "2020-01-01"}, "starts_on", "cannot be before today"),
        ({"ends_on": "2020-01-01"}, "ends_on", "cannot be before the first day"),
        ({"ends_on": "2099-01-01"}, "ends_on", "at most"),
    ],
)
def test_each_rule_of_the_operation_names_its_field(
    client: FlaskClient, users: dict[str, User], changes: dict, field: str, words: str
) -> None:
    response = client.post(
        "/api/v1/delegations", json=_request(**changes), headers=bearer(users["drafter"])
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert any(words in m for m in body["fields"][field]), body


def test_one_acting_official_per_role_and_region(client: FlaskClient, users: dict) -> None:
    head = factories.user("head2.6301", ("district_head", "6301"))
    db.session.commit()
    headers = bearer(users["drafter"])
    assert client.post("/api/v1/delegations", json=_request(), headers=headers).status_code == 201
    again = client.post(
        "/api/v1/delegations", json=_request(delegate=head.username), headers=headers
    )
    assert again.status_code == 400
    assert "already has an acting official" in again.get_json()["fields"]["starts_on"][0]


def test_only_its_parties_or_an_admin_see_and_end_a_delegation(
    client: FlaskClient, users: dict[str, User]
) -> None:
    with unit_of_work():
        delegation = create_delegation(
            users["drafter"],
            delegator=users["drafter"],
            delegate=users["reviewer"],
            role="district_drafter",
            region=factories.regions()["6301"],
            starts_on=wita_today(),
            ends_on=wita_today() + timedelta(days=3),
        )
    url = f"/api/v1/delegations/{delegation.id}"
    for stranger in ("other_drafter", "head", "provincial"):
        headers = bearer(users[stranger])
        assert client.get(url, headers=headers).status_code == 404
        assert client.post(f"{url}/end", headers=headers).status_code == 404
        assert client.get("/api/v1/delegations", headers=headers).get_json()["given"] == []
    admin = bearer(users["admin"])
    assert [
        x["id"] for x in client.get("/api/v1/delegations", headers=admin).get_json()["everything"]
    ] == [delegation.id]
    # The delegate declines; again is 409, nothing recorded twice.
    declined = client.post(f"{url}/end", headers=bearer(users["reviewer"]))
    assert declined.status_code == 200 and declined.get_json()["can_end"] is False
    twice = client.post(f"{url}/end", headers=bearer(users["reviewer"]))
    assert twice.status_code == 409 and twice.get_json()["code"] == "invalid_state"
    assert len(_acts(Action.DELEGATION_ENDED)) == 1
    for missing in (delegation.id + 1, 2**31):
        assert client.post(f"/api/v1/delegations/{missing}/end", headers=admin).status_code == 404


def test_an_admin_hands_over_anyones_role(client: FlaskClient, users: dict[str, User]) -> None:
    response = client.post(
        "/api/v1/delegations",
        json=_request(delegator="drafter.6301"),
        headers=bearer(users["admin"]),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["created_by"]["username"] == "admin"
    (act,) = _acts(Action.DELEGATION_CREATED)
    assert act.actor_label == "admin"


def test_the_body_is_strict(client: FlaskClient, users: dict[str, User]) -> None:
    headers = bearer(users["drafter"])
    for body in (
        _request(extra="x"),
        _request(starts_on="tomorrow"),
        _request(note="x" * 501),
        _request(delegate=""),
        _request(region="Tanah Laut"),
        {"role": "district_drafter"},
    ):
        response = client.post("/api/v1/delegations", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.get_json()["code"] == "validation_error"
    assert db.session.scalar(select(Delegation.id)) is None


def test_during_an_api_request_the_tokens_user_is_the_actor_whatever_session(
    app_ctx, users: dict[str, User]
) -> None:
    """What the admin log records as the actor (current_actor, read by shared code such as
    the token operations) is the token's user, not a browser session sent along."""
    from flask_login import login_user

    from workflow_app.api.auth import authenticate
    from workflow_app.audit.admin_log import current_actor

    secret = factories.api_token(users["drafter"])
    with app_ctx.test_request_context(headers={"Authorization": f"Bearer {secret}"}):
        login_user(users["admin"])  # the browser's session
        assert current_actor() == users["admin"]
        authenticate()
        assert current_actor() == users["drafter"]
