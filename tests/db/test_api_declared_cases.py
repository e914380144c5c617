"""The JSON API of the kinds declared as data (/api/v1/cases/<kind>), on the shipped SK Pokja
PKP (workflows/sk_pokja.yaml): a district opens a decree, changes its values and sends it, the
declared checks and the version hold it back, the province acknowledges it, and nobody sees
or changes what is not theirs. Bearer tokens only; the one error shape."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import app_of_its_own, emptied_afterwards, signed_in
from tests.db.test_api import assert_error, bearer
from workflow_app.cases import operations
from workflow_app.cases.models import DeclaredCase
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.resources import resource_path
from workflow_app.unit_of_work import unit_of_work

KIND = "sk_pokja"
URL = f"/api/v1/cases/{KIND}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VALUES = {
    "decree_kind": "formation",
    "decree_number": "188.45/12/KUM/2026",
    "decree_date": "2026-03-02",
    "valid_until": 2029,
}


@pytest.fixture
def tokens(users: dict) -> dict[str, dict[str, str]]:
    return {key: bearer(factories.api_token(account)) for key, account in users.items()}


def _members(agency_id: int, count: int) -> list[dict[str, Any]]:
    positions = ["chair", "secretary", "member", "member"]
    return [
        {"name": f"Anggota {n + 1}", "agency": agency_id, "position": positions[n]}
        for n in range(count)
    ]


def _open(client: FlaskClient, headers: dict, **values: Any) -> dict:
    response = client.post(URL, json={"values": VALUES | values}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _fire(client: FlaskClient, headers: dict, case_id: int, **sent: Any) -> Any:
    return client.post(f"{URL}/{case_id}/transitions", json=sent, headers=headers)


def _patch(client: FlaskClient, headers: dict, case_id: int, **sent: Any) -> Any:
    return client.patch(f"{URL}/{case_id}", json=sent, headers=headers)


def _stored(case_id: int) -> DeclaredCase:
    db.session.expire_all()
    return db.session.get(DeclaredCase, case_id)


def _attach_signed_decree(users: dict, case_id: int) -> None:
    """The signed decree, uploaded as the case's page does (files never come as JSON)."""
    case = _stored(case_id)
    with unit_of_work():
        operations.save_values(
            users["drafter"],
            case,
            {},
            {"signed_decree": FileStorage(io.BytesIO(PDF), "SK Pokja.pdf")},
            expected_version=case.version,
        )


# --- the whole way through ---------------------------------------------------------------


def test_a_district_opens_changes_and_sends_a_decree_and_the_province_acknowledges_it(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    agency = factories.agency("6301")
    drafter, provincial = tokens["drafter"], tokens["provincial"]

    # Opened without naming the region: the drafter opens decrees in 6301 only.
    case = _open(client, drafter, members=_members(agency.id, 2))
    case_id = case["id"]
    assert case["kind"] == KIND and case["region"]["code"] == "6301"
    assert case["title"] == "SK Pokja PKP Tanah Laut 188.45/12/KUM/2026"
    assert (case["state"], case["state_label"]["en"]) == ("draft", "Draft")
    assert (case["workflow"], case["workflow_version"]) == (KIND, 2)
    values = case["values"]
    assert values["decree_date"] == "2026-03-02" and values["valid_until"] == 2029
    assert values["members"][0] == {"name": "Anggota 1", "agency": agency.id, "position": "chair"}
    assert values["signed_decree"] is None and values["notes"] is None
    assert "signed_decree" in case["editable"] and "decree_number" in case["editable"]
    submit = next(t for t in case["transitions"] if t["trigger"] == "submit")
    assert submit["problems"] == [
        {
            "field": "values.members",
            "code": "too_few_rows",
            "message": "Members: at least 3 row(s) needed, 2 given",
        },
        {
            "field": "values.signed_decree",
            "code": "required",
            "message": "Signed decree is not filled in",
        },
    ]
    history = client.get(f"{URL}/{case_id}/history", headers=drafter).get_json()["items"]
    assert [(h["trigger"], h["to_state"], h["actor"]["username"]) for h in history] == [
        ("create", "draft", "drafter.6301")
    ]

    # Sending it while the declared checks fail: 409 with the problems, nothing changes.
    refused = _fire(client, drafter, case_id, trigger="submit", version=case["version"])
    body = assert_error(refused, 409, "guard_failed")
    assert body["problems"] == submit["problems"]
    assert _stored(case_id).state == "draft"

    # A third member, on the version read: a new version; the other values stay.
    response = _patch(
        client,
        drafter,
        case_id,
        version=case["version"],
        values={"members": _members(agency.id, 3), "notes": "Dibentuk ulang", "decree_date": None},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    changed = response.get_json()
    assert changed["version"] > case["version"]
    assert len(changed["values"]["members"]) == 3 and changed["values"]["notes"] == "Dibentuk ulang"
    assert changed["values"]["decree_date"] is None  # null clears a field
    assert changed["values"]["decree_number"] == VALUES["decree_number"]

    # Another change on the version read before: stale, and the newer values stay.
    stale = _patch(
        client, drafter, case_id, version=case["version"], values={"decree_number": "X/1"}
    )
    assert "reload" in assert_error(stale, 409, "stale")["message"]
    assert _stored(case_id).values["decree_number"] == VALUES["decree_number"]

    dated = _patch(
        client, drafter, case_id, version=changed["version"], values={"decree_date": "2026-03-02"}
    )
    assert dated.status_code == 200
    # The signed decree is uploaded on the case's page; the API shows its facts only.
    _attach_signed_decree(users, case_id)
    detail = client.get(f"{URL}/{case_id}", headers=drafter).get_json()
    signed = detail["values"]["signed_decree"]
    assert set(signed) == {"name", "type", "size", "sha256"}
    assert (signed["name"], signed["type"], signed["size"]) == (
        "SK Pokja.pdf",
        "application/pdf",
        len(PDF),
    )
    submit = next(t for t in detail["transitions"] if t["trigger"] == "submit")
    assert submit["problems"] == []

    sent = _fire(client, drafter, case_id, trigger="submit", version=detail["version"])
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert sent.get_json()["state"] == "provincial_check"
    # Sent, it is no longer the district's to change.
    assert_error(
        _patch(client, drafter, case_id, version=sent.get_json()["version"], values={}),
        403,
        "forbidden",
    )

    # The province sees it in its list, with its actions, and acknowledges it.
    listing = client.get(f"{URL}?state=provincial_check", headers=provincial).get_json()
    assert [c["id"] for c in listing["items"]] == [case_id]
    assert listing["items"][0]["values"] == {
        "decree_kind": "formation",
        "decree_number": VALUES["decree_number"],
        "decree_date": "2026-03-02",
    }
    actions = client.get(f"{URL}/{case_id}/transitions", headers=provincial).get_json()
    assert {t["trigger"]: t["comment_required"] for t in actions["items"]} == {
        "acknowledge": False,
        "return": True,
    }
    version = client.get(f"{URL}/{case_id}", headers=provincial).get_json()["version"]
    done = _fire(client, provincial, case_id, trigger="acknowledge", version=version)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["history"]["actor"]["username"] == "provincial.63"
    assert _stored(case_id).state == "acknowledged"

    history = client.get(f"{URL}/{case_id}/history", headers=tokens["head"]).get_json()["items"]
    assert [h["trigger"] for h in history] == ["create", "submit", "acknowledge"]
    # Acknowledged is published: the district's partner reads it now.
    assert client.get(f"{URL}/{case_id}", headers=tokens["partner"]).status_code == 200


# --- who sees what -----------------------------------------------------------------------


def test_another_districts_user_finds_nothing(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    case = _open(client, tokens["drafter"])
    other = tokens["other_drafter"]
    for path in ("", "/history", "/transitions"):
        assert_error(client.get(f"{URL}/{case['id']}{path}", headers=other), 404, "not_found")
    assert_error(
        _patch(client, other, case["id"], version=case["version"], values={"notes": "x"}),
        404,
        "not_found",
    )
    assert_error(
        _fire(client, other, case["id"], trigger="withdraw", version=case["version"]),
        404,
        "not_found",
    )
    assert client.get(URL, headers=other).get_json()["items"] == []
    # A draft is not published: the partner of the district does not see it either.
    assert_error(client.get(f"{URL}/{case['id']}", headers=tokens["partner"]), 404, "not_found")
    stored = _stored(case["id"])
    assert (stored.state, stored.values.get("notes"), stored.version) == (
        "draft",
        None,
        case["version"],
    )


def test_a_kind_not_declared_as_data_is_not_found(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    plan = factories.plan_in_state(users, "draft")
    admin = tokens["admin"]
    for url in (
        "/api/v1/cases/plan",
        "/api/v1/cases/report",
        "/api/v1/cases/no_such_kind",
        f"/api/v1/cases/plan/{plan.id}",
        f"/api/v1/cases/plan/{plan.id}/history",
        f"/api/v1/cases/plan/{plan.id}/transitions",
        f"{URL}/99999999999",
    ):
        assert_error(client.get(url, headers=admin), 404, "not_found")
    sent = {"trigger": "submit", "version": plan.version}
    drafter = tokens["drafter"]
    fired = client.post(f"/api/v1/cases/plan/{plan.id}/transitions", json=sent, headers=drafter)
    assert_error(fired, 404, "not_found")
    opened = client.post("/api/v1/cases/plan", json={"values": {}}, headers=drafter)
    assert_error(opened, 404, "not_found")
    assert_error(client.get(URL), 401, "unauthorized")
    assert db.session.get(type(plan), plan.id).state == "draft"


def test_the_list_filters_by_region_state_and_declared_fields_and_pages(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    first = _open(client, tokens["drafter"])
    renewal = _open(client, tokens["drafter"], decree_kind="renewal")
    third = _open(client, tokens["drafter"])
    elsewhere = _open(client, tokens["other_drafter"])
    withdrawn = _fire(
        client, tokens["drafter"], third["id"], trigger="withdraw", version=third["version"]
    )
    assert withdrawn.status_code == 200
    admin = tokens["admin"]

    def ids(query: str = "", headers: dict = admin) -> list[int]:
        response = client.get(f"{URL}{query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [c["id"] for c in response.get_json()["items"]]

    assert ids() == [first["id"], renewal["id"], third["id"], elsewhere["id"]]
    assert ids(headers=tokens["drafter"]) == [first["id"], renewal["id"], third["id"]]
    assert ids("?region=6304") == [elsewhere["id"]]
    assert ids("?state=withdrawn") == [third["id"]]
    assert ids("?decree_kind=renewal") == [renewal["id"]]
    assert ids("?decree_kind=formation&region=6301&state=draft") == [first["id"]]
    # Not a filter field: refused, not ignored (a typo must not return everything).
    body = assert_error(
        client.get(f"{URL}?decree_number=188.45", headers=admin), 400, "validation_error"
    )
    assert "decree_number" in body["fields"]
    page = client.get(f"{URL}?limit=2&offset=1", headers=admin).get_json()
    assert [c["id"] for c in page["items"]] == [renewal["id"], third["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    for query, field in (
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("region=63%2701", "region"),
        ("state=DRAFT", "state"),
        (f"decree_kind={'x' * 101}", "decree_kind"),
    ):
        body = assert_error(client.get(f"{URL}?{query}", headers=admin), 400, "validation_error")
        assert field in body["fields"], query
    # Control characters never reach a filter: the app refuses them in any query string.
    assert_error(client.get(f"{URL}?decree_kind=a%00b", headers=admin), 400, "bad_request")


# --- opening -----------------------------------------------------------------------------


def test_opening_is_for_the_creator_role_in_its_regions(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    for who in ("reviewer", "provincial", "partner", "admin"):
        assert_error(
            client.post(URL, json={"values": VALUES}, headers=tokens[who]), 403, "forbidden"
        )
    elsewhere = {"region": "6304", "values": VALUES}
    assert_error(client.post(URL, json=elsewhere, headers=tokens["drafter"]), 403, "forbidden")
    assert db.session.scalar(select(func.count()).select_from(DeclaredCase)) == 0

    # A drafter of two districts names the one the case is for.
    both = factories.user("drafter.dua", ("district_drafter", "6301"), ("district_drafter", "6304"))
    headers = bearer(factories.api_token(both))
    body = assert_error(
        client.post(URL, json={"values": VALUES}, headers=headers), 400, "validation_error"
    )
    assert "6301, 6304" in body["fields"]["region"][0]
    opened = client.post(URL, json={"region": "6304", "values": VALUES}, headers=headers)
    assert opened.status_code == 200, opened.get_data(as_text=True)
    assert opened.get_json()["region"]["code"] == "6304"
    case = _stored(opened.get_json()["id"])
    assert [row.trigger for row in case.history] == ["create"]


def test_values_that_cannot_be_stored_are_refused_each_by_name(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    other_agency = factories.agency("6304")
    sent = {
        "values": {
            "decree_number": "x" * 101,
            "decree_date": "02/03/2026",
            "valid_until": 2050,
            "signed_decree": {"name": "sk.pdf", "stored": "../secret"},
            "members": [{"name": "A", "agency": other_agency.id, "position": "boss"}],
            "colour": "blue",
        }
    }
    body = assert_error(
        client.post(URL, json=sent, headers=tokens["drafter"]), 400, "validation_error"
    )
    assert body["fields"] == {
        "values.decree_kind": ["This field is required."],
        "values.decree_number": ["Field cannot be longer than 100 characters."],
        "values.decree_date": ["Not a valid date value."],
        "values.valid_until": ["Number must be between 2025 and 2040."],
        "values.signed_decree": ["A file cannot be sent as JSON: upload it on the case's page."],
        "values.members.0.agency": ["Not an agency of the case's region."],
        "values.members.0.position": ["Not a valid choice."],
        "values.colour": ["Unknown field."],
    }
    assert "signed_decree" in body["message"]
    assert db.session.scalar(select(func.count()).select_from(DeclaredCase)) == 0

    for bad, field in (
        ({"values": [], "region": "6301"}, "values"),
        ({"values": {}, "state": "acknowledged"}, "state"),
        ({"region": "Tanah Laut"}, "region"),
    ):
        body = assert_error(
            client.post(URL, json=bad, headers=tokens["drafter"]), 400, "validation_error"
        )
        assert field in body["fields"], bad
    form = client.post(URL, data={"values": "{}"}, headers=tokens["drafter"])
    assert_error(form, 415, "unsupported_media_type")


# --- changing ----------------------------------------------------------------------------


def test_changing_values_is_refused_whole_when_any_is_wrong(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    case = _open(client, tokens["drafter"])
    drafter = tokens["drafter"]
    wrong = _patch(
        client,
        drafter,
        case["id"],
        version=case["version"],
        values={"decree_number": "B/2", "signed_decree": None, "decree_kind": "other"},
    )
    body = assert_error(wrong, 400, "validation_error")
    assert set(body["fields"]) == {"values.signed_decree", "values.decree_kind"}
    stored = _stored(case["id"])
    assert (stored.values["decree_number"], stored.version) == (
        VALUES["decree_number"],
        case["version"],
    )
    # The province may read the draft but change nothing in it.
    refused = _patch(
        client, tokens["provincial"], case["id"], version=case["version"], values={"notes": "x"}
    )
    assert_error(refused, 403, "forbidden")
    for bad, field in (({"values": {}}, "version"), ({"version": 1}, "values")):
        body = assert_error(
            client.patch(f"{URL}/{case['id']}", json=bad, headers=drafter), 400, "validation_error"
        )
        assert field in body["fields"]


def test_the_openapi_document_lists_the_endpoints_of_declared_kinds(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/cases/{kind}"]) == {"get", "post"}
    assert set(paths["/api/v1/cases/{kind}/{case_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/cases/{kind}/{case_id}/history"]) == {"get"}
    assert set(paths["/api/v1/cases/{kind}/{case_id}/transitions"]) == {"get", "post"}
    patch = paths["/api/v1/cases/{kind}/{case_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseChangeRequest"
    }
    assert {"403", "409"} <= set(patch["responses"])


# --- edit rights per field (a copy of the definition with one) ---------------------------


@pytest.fixture(scope="module")
def field_rights_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """SK Pokja whose notes only the provincial reviewer writes, in the provincial check."""
    import shutil

    tmp = tmp_path_factory.mktemp("declared_api_field_rights")
    workflows = tmp / "workflows"
    shutil.copytree(resource_path("workflows"), workflows)
    path = workflows / "sk_pokja.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    definition["case"]["fields"]["notes"]["edit"] = {
        "states": ["provincial_check"],
        "roles": ["provincial_reviewer"],
    }
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), "utf-8")
    with app_of_its_own(tmp, WORKFLOWS_DIR=str(workflows)) as application:
        yield application


def test_a_field_the_caller_may_not_change_now_is_refused_by_name(
    field_rights_app: Flask,
) -> None:
    with emptied_afterwards(field_rights_app):
        users = factories.standard_users()
        db.session.commit()
        client = field_rights_app.test_client()
        drafter = bearer(factories.api_token(users["drafter"]))
        provincial = bearer(factories.api_token(users["provincial"]))
        agency = factories.agency("6301")

        body = assert_error(
            client.post(URL, json={"values": VALUES | {"notes": "x"}}, headers=drafter),
            403,
            "forbidden",
        )
        assert "notes" in body["message"] and list(body["fields"]) == ["values.notes"]
        case = _open(client, drafter, members=_members(agency.id, 3))
        assert "notes" not in case["editable"]
        refused = _patch(
            client,
            drafter,
            case["id"],
            version=case["version"],
            values={"decree_number": "B/2", "notes": "x"},
        )
        body = assert_error(refused, 403, "forbidden")
        assert "notes" in body["message"] and list(body["fields"]) == ["values.notes"]
        assert _stored(case["id"]).values["decree_number"] == VALUES["decree_number"]

        _attach_signed_decree(users, case["id"])
        version = _stored(case["id"]).version
        assert (
            _fire(client, drafter, case["id"], trigger="submit", version=version).status_code == 200
        )
        checked = client.get(f"{URL}/{case['id']}", headers=provincial).get_json()
        assert checked["editable"] == ["notes"]
        refused = _patch(
            client,
            provincial,
            case["id"],
            version=checked["version"],
            values={"notes": "Sudah sesuai", "decree_number": "C/3"},
        )
        assert list(assert_error(refused, 403, "forbidden")["fields"]) == ["values.decree_number"]
        noted = _patch(
            client,
            provincial,
            case["id"],
            version=checked["version"],
            values={"notes": "Sudah sesuai"},
        )
        assert noted.status_code == 200, noted.get_data(as_text=True)
        assert noted.get_json()["values"]["notes"] == "Sudah sesuai"
        rows = db.session.scalars(
            select(CaseTransition).where(CaseTransition.subject_is(KIND, case["id"]))
        )
        assert [row.trigger for row in rows] == ["create", "submit"]


# --- hostile values ----------------------------------------------------------------------

HOSTILE_TEXT = (
    st.text(max_size=20)
    | st.text(st.characters(categories=["Cs", "Cc"]), max_size=6)  # "\ud800", "\x00"
    | st.just("x" * 100_000)
    | st.sampled_from(["formation", "2026-03-02", "12,5", "6301", "1", ""])
)
HOSTILE_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | HOSTILE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "agency", "position"]) | HOSTILE_TEXT, inner)
    ),
    max_leaves=8,
)
FIELD_NAMES = st.sampled_from(
    [
        *("decree_kind", "decree_number", "decree_date", "valid_until", "members"),
        *("signed_decree", "notes", "x"),
    ]
)


def test_hostile_values_are_refused_in_json_or_stored_as_given(
    client: FlaskClient, users: dict, tokens: dict
) -> None:
    """Never a 5xx, on either database; a refusal changes nothing, a success stores values
    the case's page can show."""
    case_id = _open(client, tokens["drafter"])["id"]
    drafter = tokens["drafter"]
    page = signed_in(client.application, "drafter.6301")

    @settings(
        max_examples=int(os.environ.get("WORKFLOW_APP_FUZZ_EXAMPLES", "25")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(values=st.dictionaries(FIELD_NAMES | HOSTILE_TEXT, HOSTILE_VALUE, max_size=4))
    def patch(values: dict) -> None:
        before = _stored(case_id)
        stored_before = (before.version, dict(before.values))
        db.session.rollback()
        response = client.patch(
            f"{URL}/{case_id}",
            data=json.dumps({"version": stored_before[0], "values": values}),
            headers={**drafter, "Content-Type": "application/json"},
        )
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
        after = _stored(case_id)
        if response.status_code == 200:
            assert after.version >= stored_before[0]
            assert page.get(f"/cases/{KIND}/{case_id}").status_code == 200
        elif response.status_code == 413:  # a generated body beyond API_MAX_BODY_BYTES
            assert_error(response, 413, "payload_too_large")
            assert (after.version, after.values) == stored_before
        else:
            assert_error(response, 400, "validation_error")
            assert (after.version, after.values) == stored_before
        db.session.rollback()

    patch()
