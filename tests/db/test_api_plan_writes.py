"""Writing an action plan over the API: a drafter creates a plan and fills every part of it
through the operations the web's pages call; the API refuses what the web refuses, with the
status the web answers and a code and field a script can act on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from workflow_app.extensions import db
from workflow_app.plans.models import ActionPlan
from workflow_app.plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS

from .. import factories
from ..conftest import signed_in
from .test_api import assert_error, bearer

API = "/api/v1"


@pytest.fixture
def auth(users: dict) -> dict[str, dict[str, str]]:
    headers = {key: bearer(factories.api_token(account)) for key, account in users.items()}
    db.session.commit()
    return headers


def activity(version: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": version,
        "sub_sector": "wastewater",
        "activity_type": "spald_s",
        "title": "SPALD-S 300 rumah tangga",
        "location": "Desa Ambungan",
        "volume": "300.5",
        "unit": "RT",
        "agency_id": factories.agency("6301").id,
        "start_year": 2026,
        "end_year": 2027,
        "funding": [
            {"year": 2026, "source": "dak", "amount": 1_000_000_000},
            {"year": 2026, "source": "dak", "amount": 350_000_000},
            {"year": 2027, "source": "apbd_district", "amount": 125_500_000},
        ],
    }
    body.update(changes)
    return body


def stored(plan_id: int) -> ActionPlan:
    db.session.expire_all()
    return db.session.get(ActionPlan, plan_id)


def create(client: FlaskClient, headers: dict[str, str], **changes: Any) -> Any:
    body = {"title": "Rencana Aksi Sanitasi", "period_start": 2025, "period_end": 2029}
    body.update(changes)
    return client.post(f"{API}/plans", json=body, headers=headers)


@pytest.fixture
def draft(client: FlaskClient, users: dict, auth: dict) -> dict[str, Any]:
    """A new empty plan of 6301, created over the API by its drafter."""
    response = create(client, auth["drafter"])
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# --- a drafter fills a plan --------------------------------------------------------------------


def test_a_drafter_creates_a_plan_fills_every_part_and_reads_it_back(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    headers = auth["drafter"]
    response = create(client, headers)
    assert response.status_code == 201
    plan = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/plans/{plan['id']}")
    assert (plan["state"], plan["region"]["code"]) == ("draft", "6301")
    assert client.get(response.headers["Location"], headers=headers).get_json() == plan

    url = f"{API}/plans/{plan['id']}"
    header = {
        "version": plan["version"],
        "title": "Rencana Aksi 2026–2030",
        "period_start": 2026,
        "period_end": 2030,
    }
    plan = client.put(f"{url}/header", json=header, headers=headers).get_json()
    assert (plan["title"], plan["period_start"], plan["period_end"]) == (
        "Rencana Aksi 2026–2030",
        2026,
        2030,
    )

    challenges = {"version": plan["version"], "items": ["Cakupan LLTT rendah", "  ", "BABS"]}
    plan = client.put(f"{url}/challenges", json=challenges, headers=headers).get_json()
    assert plan["challenges"] == ["Cakupan LLTT rendah", "BABS"]  # a blank one is dropped

    indicators = {
        "version": plan["version"],
        "items": [
            {
                "name": "% rumah tangga dengan akses sanitasi aman",
                "unit": "%",
                "baseline_year": 2025,
                "baseline_value": "6.5",
                "targets": [{"year": 2026, "value": "10"}, {"year": 2030, "value": "25.25"}],
            },
            {"name": "Desa SBS", "unit": "desa"},
        ],
    }
    plan = client.put(f"{url}/indicators", json=indicators, headers=headers).get_json()
    first = plan["indicators"][0]
    assert (first["baseline_value"], first["targets"]) == (
        "6.50",
        [{"year": 2026, "value": "10.00"}, {"year": 2030, "value": "25.25"}],
    )
    assert plan["indicators"][1]["targets"] == []

    response = client.post(f"{url}/activities", json=activity(plan["version"]), headers=headers)
    assert response.status_code == 201
    plan = response.get_json()
    added = plan["activities"][0]
    assert response.headers["Location"].endswith(f"{url}/activities/{added['id']}")
    assert client.get(response.headers["Location"], headers=headers).get_json() == added
    # Rows of one year and source are added up, as the web's form does.
    assert added["funding"] == [
        {"year": 2026, "source": "dak", "amount": 1_350_000_000},
        {"year": 2027, "source": "apbd_district", "amount": 125_500_000},
    ]
    assert (added["volume"], added["agency"]["id"]) == ("300.50", factories.agency("6301").id)

    second = activity(plan["version"], title="IPLT", activity_type="iplt", funding=[])
    plan = client.post(f"{url}/activities", json=second, headers=headers).get_json()
    second_id = plan["activities"][1]["id"]
    changed = activity(
        plan["version"], title="IPLT kota", volume=None, agency_id=None, start_year=2030
    )
    changed["end_year"], changed["funding"] = 2030, [{"year": 2030, "source": "csr", "amount": 5}]
    plan = client.put(f"{url}/activities/{second_id}", json=changed, headers=headers).get_json()
    assert plan["activities"][1] | {"id": 0} == {
        "id": 0,
        "title": "IPLT kota",
        "sub_sector": "wastewater",
        "activity_type": "spald_s",
        "location": "Desa Ambungan",
        "volume": None,
        "unit": "RT",
        "agency": None,
        "start_year": 2030,
        "end_year": 2030,
        "funding": [{"year": 2030, "source": "csr", "amount": 5}],
    }

    response = client.delete(
        f"{url}/activities/{added['id']}?version={plan['version']}", headers=headers
    )
    assert response.status_code == 200
    plan = response.get_json()
    assert [a["title"] for a in plan["activities"]] == ["IPLT kota"]
    # What the API answered is what is stored, and what GET and the web page read.
    assert client.get(url, headers=headers).get_json() == plan
    saved = stored(plan["id"])
    assert (saved.version, saved.title, len(saved.indicators)) == (
        plan["version"],
        header["title"],
        2,
    )
    page = signed_in(client.application, "drafter.6301").get(f"/plans/{plan['id']}")
    assert "IPLT kota" in page.get_data(as_text=True)


def test_a_new_period_drops_targets_outside_it_and_refuses_activities_outside_it(
    client: FlaskClient, auth: dict, draft: dict
) -> None:
    url, headers = f"{API}/plans/{draft['id']}", auth["drafter"]
    targets = [{"year": year, "value": "1"} for year in (2025, 2029)]
    sent = {"version": draft["version"], "items": [{"name": "X", "targets": targets}]}
    plan = client.put(f"{url}/indicators", json=sent, headers=headers).get_json()
    header = {"version": plan["version"], "title": "T", "period_start": 2025, "period_end": 2028}
    plan = client.put(f"{url}/header", json=header, headers=headers).get_json()
    assert plan["indicators"][0]["targets"] == [{"year": 2025, "value": "1.00"}]

    sent = activity(plan["version"], start_year=2028, end_year=2028, funding=[])
    plan = client.post(f"{url}/activities", json=sent, headers=headers).get_json()
    header = {"version": plan["version"], "title": "T", "period_start": 2025, "period_end": 2027}
    response = client.put(f"{url}/header", json=header, headers=headers)
    body = assert_error(response, 409, "conflict")
    assert set(body["fields"]) == {"period_start", "period_end"}
    assert "SPALD-S 300 rumah tangga" in body["message"]
    assert stored(plan["id"]).period_end == 2028


# --- who may create, and where ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "head", "provincial", "partner", "admin"])
def test_only_the_drafter_creates_plans_as_on_the_web(
    client: FlaskClient, users: dict, auth: dict, who: str
) -> None:
    web = signed_in(client.application, users[who].username).get("/plans/new")
    assert web.status_code == 403
    assert_error(create(client, auth[who]), 403, "forbidden")
    assert_error(create(client, auth[who], region="6301"), 403, "forbidden")
    assert db.session.scalar(db.select(db.func.count()).select_from(ActionPlan)) == 0


def test_a_drafter_creates_only_in_their_district(client: FlaskClient, auth: dict) -> None:
    assert_error(create(client, auth["drafter"], region="6304"), 403, "forbidden")
    assert_error(create(client, auth["drafter"], region="63"), 403, "forbidden")
    body = assert_error(create(client, auth["drafter"], region="9999"), 400, "validation_error")
    assert "region" in body["fields"]
    assert create(client, auth["drafter"], region="6301").status_code == 201


def test_one_live_plan_per_district_and_period(
    client: FlaskClient, auth: dict, draft: dict
) -> None:
    response = create(client, auth["drafter"], period_start=2029, period_end=2033)
    body = assert_error(response, 409, "conflict")
    assert set(body["fields"]) == {"period_start", "period_end"}
    assert draft["title"] in body["message"]
    assert create(client, auth["drafter"], period_start=2030, period_end=2034).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period_end": 2024}, "period_end"),
        ({"period_start": 2025, "period_end": 2035}, "period_end"),
        ({"period_start": 2019}, "period_start"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"colour": "red"}, "colour"),
        ({"period_start": "2025"}, "period_start"),
    ],
)
def test_a_bad_header_is_refused_naming_the_field(
    client: FlaskClient, auth: dict, changes: dict, field: str
) -> None:
    body = assert_error(create(client, auth["drafter"], **changes), 400, "validation_error")
    assert field in body["fields"]


# --- refusals on an existing plan ---------------------------------------------------------------


def writes(plan: ActionPlan) -> list[tuple[str, str, dict | None]]:
    """Every write on `plan` with a valid body on its version (method, url, json)."""
    url, version = f"{API}/plans/{plan.id}", plan.version
    activity_id = plan.activities[0].id
    return [
        (
            "PUT",
            f"{url}/header",
            {
                "version": version,
                "title": "T",
                "period_start": plan.period_start,
                "period_end": plan.period_end,
            },
        ),
        ("PUT", f"{url}/challenges", {"version": version, "items": ["A"]}),
        ("PUT", f"{url}/indicators", {"version": version, "items": []}),
        (
            "POST",
            f"{url}/activities",
            activity(version, start_year=plan.period_start, end_year=plan.period_start, funding=[]),
        ),
        (
            "PUT",
            f"{url}/activities/{activity_id}",
            activity(version, start_year=plan.period_start, end_year=plan.period_start, funding=[]),
        ),
        ("DELETE", f"{url}/activities/{activity_id}?version={version}", None),
    ]


def web_edit_status(app: Flask, username: str, plan_id: int) -> int:
    return signed_in(app, username).get(f"/plans/{plan_id}/edit").status_code


@pytest.mark.parametrize(
    ("who", "state", "status", "code"),
    [
        ("other_drafter", "draft", 404, "not_found"),
        ("partner", "draft", 404, "not_found"),
        ("reviewer", "draft", 403, "forbidden"),
        ("provincial", "provincial_sync", 403, "forbidden"),
        ("partner", "approved", 403, "forbidden"),
        ("drafter", "district_review", 409, "invalid_state"),
        ("drafter", "approved", 409, "invalid_state"),
    ],
)
def test_writes_are_refused_as_the_web_refuses_them_and_change_nothing(
    client: FlaskClient, users: dict, auth: dict, who: str, state: str, status: int, code: str
) -> None:
    plan = factories.plan_in_state(users, state)
    before = (plan.version, plan.title, len(plan.activities))
    assert web_edit_status(client.application, users[who].username, plan.id) == status
    for method, url, body in writes(plan):
        response = client.open(url, method=method, json=body, headers=auth[who])
        assert_error(response, status, code)
    saved = stored(plan.id)
    assert (saved.version, saved.title, len(saved.activities)) == before


def test_a_stale_version_is_refused_with_where_the_plan_stands(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    old = plan.version
    fresh = {"version": old, "items": ["Baru"]}
    assert (
        client.put(
            f"{API}/plans/{plan.id}/challenges", json=fresh, headers=auth["drafter"]
        ).status_code
        == 200
    )
    plan = stored(plan.id)
    for method, url, body in writes(plan):
        if body is not None:
            body["version"] = old
        response = client.open(
            url.replace(f"version={plan.version}", f"version={old}"),
            method=method,
            json=body,
            headers=auth["drafter"],
        )
        answer = assert_error(response, 409, "stale")
        assert (answer["current_version"], answer["current_state"]) == (plan.version, "draft")
    assert stored(plan.id).version == plan.version
    assert [c.description for c in stored(plan.id).challenges] == ["Baru"]


def test_an_activity_of_another_plan_is_not_found(
    client: FlaskClient, users: dict, auth: dict
) -> None:
    mine = factories.plan_in_state(users, "draft")
    theirs = factories.complete_plan(users["other_drafter"], "6304")
    db.session.commit()
    other_id = theirs.activities[0].id
    url = f"{API}/plans/{mine.id}/activities/{other_id}"
    assert_error(client.get(url, headers=auth["drafter"]), 404, "not_found")
    sent = activity(mine.version, start_year=2026, end_year=2026, funding=[])
    assert_error(client.put(url, json=sent, headers=auth["drafter"]), 404, "not_found")
    response = client.delete(f"{url}?version={mine.version}", headers=auth["drafter"])
    assert_error(response, 404, "not_found")
    assert len(stored(theirs.id).activities) == 1


def test_delete_needs_the_version(client: FlaskClient, users: dict, auth: dict) -> None:
    plan = factories.plan_in_state(users, "draft")
    url = f"{API}/plans/{plan.id}/activities/{plan.activities[0].id}"
    for query in ("", "?version=x", f"?version={plan.version}&version={plan.version}"):
        body = assert_error(
            client.delete(url + query, headers=auth["drafter"]), 400, "validation_error"
        )
        assert "version" in body["fields"]
    assert len(stored(plan.id).activities) == 1


# --- what the forms check, named by field -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sub_sector": "sewage"}, "sub_sector"),
        ({"activity_type": "SPALD-S"}, "activity_type"),
        ({"funding": [{"year": 2026, "source": "bank", "amount": 1}]}, "funding.0.source"),
        ({"funding": [{"year": 2026, "source": "dak", "amount": -1}]}, "funding.0.amount"),
        ({"funding": [{"year": 2026, "source": "dak", "amount": 10**15 + 1}]}, "funding.0.amount"),
        ({"funding": [{"year": 2026, "source": "dak", "amount": "5"}]}, "funding.0.amount"),
        ({"funding": [{"year": 2028, "source": "dak", "amount": 5}]}, "funding.0.year"),
        ({"start_year": 2024}, "start_year"),
        ({"end_year": 2025}, "end_year"),
        ({"end_year": 2031, "funding": []}, "end_year"),
        ({"volume": "-1"}, "volume"),
        ({"volume": "1.234"}, "volume"),
        ({"volume": 12.5}, "volume"),
        ({"volume": "1e3"}, "volume"),
        ({"title": ""}, "title"),
        ({"location": " "}, "location"),
        ({"colour": "red"}, "colour"),
        (
            {"funding": [{"year": 2026, "source": "dak", "amount": 1, "note": "x"}]},
            "funding.0.note",
        ),
    ],
)
def test_a_bad_activity_is_refused_naming_the_field(
    client: FlaskClient, auth: dict, draft: dict, changes: dict, field: str
) -> None:
    url = f"{API}/plans/{draft['id']}/activities"
    response = client.post(url, json=activity(draft["version"], **changes), headers=auth["drafter"])
    body = assert_error(response, 400, "validation_error")
    assert field in body["fields"], body
    assert stored(draft["id"]).activities == []


def test_an_agency_of_another_district_is_refused(
    client: FlaskClient, auth: dict, draft: dict
) -> None:
    url = f"{API}/plans/{draft['id']}/activities"
    for agency_id in (factories.agency("6304").id, 2**31 - 1):
        sent = activity(draft["version"], agency_id=agency_id)
        body = assert_error(
            client.post(url, json=sent, headers=auth["drafter"]), 400, "validation_error"
        )
        assert list(body["fields"]) == ["agency_id"]
    provincial = factories.agency("63", "Dinas PUPR Provinsi").id
    sent = activity(draft["version"], agency_id=provincial)
    assert client.post(url, json=sent, headers=auth["drafter"]).status_code == 201


def test_funding_is_bounded_like_on_the_web(
    app: Flask, client: FlaskClient, auth: dict, draft: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{API}/plans/{draft['id']}/activities"
    # Rows within the cap one by one, beyond it once added up.
    rows = [{"year": 2026, "source": "dak", "amount": 6 * 10**14}] * 2
    response = client.post(
        url, json=activity(draft["version"], funding=rows), headers=auth["drafter"]
    )
    body = assert_error(response, 400, "validation_error")
    assert list(body["fields"]) == ["funding"] and "DAK" in body["fields"]["funding"][0]
    # An activity's total, then the plan's total beside its other activities.
    monkeypatch.setitem(app.config, "ACTIVITY_MAX_FUNDING", 1_000)
    monkeypatch.setitem(app.config, "PLAN_MAX_FUNDING", 1_500)
    rows = [
        {"year": 2026, "source": "dak", "amount": 600},
        {"year": 2027, "source": "csr", "amount": 600},
    ]
    response = client.post(
        url, json=activity(draft["version"], funding=rows), headers=auth["drafter"]
    )
    assert list(assert_error(response, 400, "validation_error")["fields"]) == ["funding"]
    rows = [{"year": 2026, "source": "dak", "amount": 1_000}]
    plan = client.post(
        url, json=activity(draft["version"], funding=rows), headers=auth["drafter"]
    ).get_json()
    response = client.post(
        url, json=activity(plan["version"], funding=rows), headers=auth["drafter"]
    )
    body = assert_error(response, 400, "validation_error")
    assert list(body["fields"]) == ["funding"] and "plan" in body["fields"]["funding"][0]
    assert len(stored(draft["id"]).activities) == 1


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (
            {"name": "P", "unit": "%", "targets": [{"year": 2026, "value": "100.5"}]},
            "items.0.targets.0.value",
        ),
        (
            {"name": "P", "unit": "%", "baseline_year": 2024, "baseline_value": "101"},
            "items.0.baseline_value",
        ),
        ({"name": "N", "targets": [{"year": 2026, "value": "-3"}]}, "items.0.targets.0.value"),
        ({"name": "N", "targets": [{"year": 2031, "value": "3"}]}, "items.0.targets.0.year"),
        ({"name": "N", "targets": [{"year": 2026, "value": 3}]}, "items.0.targets.0.value"),
        (
            {"name": "N", "targets": [{"year": 2026, "value": "1"}, {"year": 2026, "value": "2"}]},
            "items.0.targets",
        ),
        ({"name": "N", "baseline_year": 2024}, "items.0.baseline_value"),
        ({"name": "N", "baseline_year": 2030, "baseline_value": "1"}, "items.0.baseline_year"),
        ({"name": " "}, "items.0.name"),
        ({"name": "N", "goal": "x"}, "items.0.goal"),
    ],
)
def test_a_bad_indicator_is_refused_naming_the_field(
    client: FlaskClient, auth: dict, draft: dict, item: dict, field: str
) -> None:
    sent = {"version": draft["version"], "items": [item]}
    response = client.put(
        f"{API}/plans/{draft['id']}/indicators", json=sent, headers=auth["drafter"]
    )
    body = assert_error(response, 400, "validation_error")
    assert field in body["fields"], body
    assert stored(draft["id"]).indicators == []


def test_challenges_are_bounded(client: FlaskClient, auth: dict, draft: dict) -> None:
    url = f"{API}/plans/{draft['id']}/challenges"
    for items, field in ((["x" * 2001], "items.0"), (["a"] * 101, "items"), (["a\x00"], "items")):
        sent = {"version": draft["version"], "items": items}
        body = assert_error(
            client.put(url, json=sent, headers=auth["drafter"]), 400, "validation_error"
        )
        assert field in body["fields"], body
    response = client.put(url, data="items=a", headers=auth["drafter"], content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_the_document_lists_the_closed_lists_as_enums(client: FlaskClient) -> None:
    schemas = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]
    assert schemas["SubSector"]["enum"] == list(SUB_SECTORS)
    assert schemas["ActivityType"]["enum"] == list(ACTIVITY_TYPES)
    assert schemas["FundingSource"]["enum"] == list(FUNDING_SOURCES)
    activity_schema = schemas["ActivityRequest"]
    assert activity_schema["additionalProperties"] is False
    assert activity_schema["properties"]["sub_sector"] == {"$ref": "#/components/schemas/SubSector"}
    assert schemas["FundingIn"]["properties"]["source"] == {
        "$ref": "#/components/schemas/FundingSource"
    }
    volume = activity_schema["properties"]["volume"]["anyOf"][0]
    assert volume["pattern"] == r"^-?[0-9]+(\.[0-9]+)?$"
