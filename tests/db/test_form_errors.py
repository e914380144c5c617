"""Invalid input in the forms other test files leave uncovered: the same page comes back with
status 400, the error next to its field, what was typed kept, and nothing saved.

Forms already covered elsewhere (login, new plan, header, indicators, new activity, review
comment, new/edited user, password, region name, new agency, delegation, language) are only
checked here for the cases those tests leave out.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token, login
from tests.db.test_sync_actions import _sync_form
from tests.db.test_views_editing import error_of, form_on, forms_of, fresh
from tests.db.test_views_transition import _snapshot
from workflow_app.accounts.models import Delegation, RoleAssignment, User, wita_today
from workflow_app.deadlines.models import CalendarOverride
from workflow_app.extensions import db
from workflow_app.history import CaseTransition
from workflow_app.plans.forms_actions import COMMENT_MAX_LENGTH
from workflow_app.plans.models import ActionPlan
from workflow_app.regions.models import Agency, Region
from workflow_app.reviews.models import ReviewComment


def _text(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def _kept(response: TestResponse, field: str) -> dict[str, str]:
    """The fields of the re-rendered form that has `field`, as a browser would send them."""
    forms = [f["fields"] for f in forms_of(_text(response))]
    forms = [fields for fields in forms if field in fields]  # type: ignore[operator]
    assert forms, f"no form with {field}"
    return dict(forms[-1])  # type: ignore[call-overload]


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def plan(users: dict) -> ActionPlan:
    created = factories.complete_plan(users["drafter"], title="Rencana Aksi Tanah Laut")
    db.session.commit()
    return created


@pytest.fixture
def drafter(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, "drafter.6301")
    return client


@pytest.fixture
def admin(client: FlaskClient, users: dict) -> FlaskClient:
    login(client, "admin")
    return client


# --- plan editing ---------------------------------------------------------------------------


def test_a_too_long_challenge_is_refused_next_to_its_row(
    drafter: FlaskClient, plan: ActionPlan
) -> None:
    url = f"/plans/{plan.id}/challenges"
    version = plan.version
    fields = form_on(drafter, url)
    too_long = "Cakupan rendah. " * 130  # over 2000 characters
    fields["rows-0-description"] = too_long
    response = drafter.post(url, data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, "rows-0-description")
    assert _kept(response, "rows-0-description")["rows-0-description"] == too_long
    saved = fresh(plan.id)
    assert [c.description for c in saved.challenges] == ["Cakupan LLTT masih rendah"]
    assert saved.version == version


@pytest.mark.parametrize(
    ("field", "value", "shown_again"),
    [
        ("location", "", True),
        ("volume", "banyak", True),
        ("unit", "u" * 41, True),
        ("sub_sector", "bukan_subsektor", False),
        ("activity_type", "bukan_jenis", False),
        ("agency_id", "abc", False),
        ("start_year", "2040", False),
        ("funding-0-year", "2040", False),
        ("funding-0-source", "bukan_sumber", False),
        ("funding-0-amount", "sejuta", True),
    ],
)
def test_an_invalid_activity_edit_keeps_typed_values_and_changes_nothing(
    drafter: FlaskClient, plan: ActionPlan, field: str, value: str, shown_again: bool
) -> None:
    activity = plan.activities[0]
    url = f"/plans/{plan.id}/activities/{activity.id}/edit"
    version = plan.version
    fields = form_on(drafter, url)
    fields.update({"title": "Judul yang diketik", field: value})
    response = drafter.post(url, data={**fields, "save": "1"})
    assert response.status_code == 400
    assert error_of(response, field)
    kept = _kept(response, "title")
    assert kept["title"] == "Judul yang diketik"
    if shown_again:  # a select cannot show a value that is not one of its options
        assert kept[field] == value
    saved = fresh(plan.id)
    assert saved.version == version
    assert [(a.title, a.location, a.total_funding) for a in saved.activities] == [
        ("Layanan LLTT", "Pelaihari", 850_000_000)
    ]


@pytest.mark.parametrize("version", [None, "", "abc"])
def test_deleting_an_activity_needs_a_valid_version(
    drafter: FlaskClient, plan: ActionPlan, version: str | None
) -> None:
    activity_id = plan.activities[0].id
    data = {"csrf_token": csrf_token(drafter, f"/plans/{plan.id}/activities/{activity_id}/edit")}
    if version is not None:
        data["version"] = version
    response = drafter.post(f"/plans/{plan.id}/activities/{activity_id}/delete", data=data)
    assert response.status_code == 400
    assert [a.id for a in fresh(plan.id).activities] == [activity_id]


# --- actions on a plan (plan page and sync workspace) --------------------------------------


def _comment_field(response: TestResponse, trigger: str) -> tuple[str, list[str]]:
    """The comment typed into the `trigger` action form and the errors shown right after it."""
    match = re.search(
        rf'<textarea[^>]*id="comment-{trigger}"[^>]*>(.*?)</textarea>\s*'
        r'((?:<p class="error-text">[^<]*</p>)*)\s*</div>',
        _text(response),
        re.S,
    )
    assert match, f"no comment field for {trigger}"
    errors = re.findall(r'<p class="error-text">([^<]*)</p>', match.group(2))
    return match.group(1).lstrip("\r\n"), errors


@pytest.mark.parametrize("via_sync", [False, True])
def test_a_too_long_action_comment_is_refused_next_to_the_comment(
    app_ctx: Flask, users: dict, via_sync: bool
) -> None:
    plan = factories.plan_in_state(users, "provincial_sync")
    client = app_ctx.test_client()
    login(client, "provincial.63")
    before = _snapshot(plan.id)
    comment = "Lengkapi baseline. " * (COMMENT_MAX_LENGTH // 19 + 1)
    if via_sync:
        fields = _sync_form(client, "return", plan.id)
    else:
        token = csrf_token(client, f"/plans/{plan.id}")
        fields = {"csrf_token": token, "trigger": "return", "version": str(before[1])}
    response = client.post(f"/plans/{plan.id}/transition", data={**fields, "comment": comment})
    assert response.status_code == 400  # the plan page, not a redirect back to the workspace
    typed, errors = _comment_field(response, "return")
    assert typed == comment
    assert errors
    assert _snapshot(plan.id) == before


@pytest.mark.parametrize("changes", [{"trigger": ""}, {"version": "abc"}, {"trigger": "x" * 41}])
def test_an_action_with_invalid_hidden_fields_changes_nothing(
    app_ctx: Flask, users: dict, changes: dict[str, str]
) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = app_ctx.test_client()
    login(client, "drafter.6301")
    before = _snapshot(plan.id)
    data = {"csrf_token": csrf_token(client, f"/plans/{plan.id}"), "trigger": "submit"}
    data |= {"version": str(before[1]), "comment": "Mohon direviu", **changes}
    response = client.post(f"/plans/{plan.id}/transition", data=data)
    assert response.status_code == 400
    assert 'id="refusal"' in response.get_data(as_text=True)
    assert _snapshot(plan.id) == before


# --- accounts -------------------------------------------------------------------------------


def test_a_too_long_username_is_refused_next_to_the_field(client: FlaskClient, users: dict) -> None:
    username = "drafter." + "9" * 80
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    assert 'id="username-error"' in response.get_data(as_text=True)
    assert _kept(response, "username")["username"] == username
    assert client.get("/tasks").status_code == 302  # not logged in


def _assignment(username: str, role: str) -> int:
    return db.session.scalar(
        select(RoleAssignment.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.username == username, RoleAssignment.role == role)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_on": "besok"}, "starts_on"),
        ({"ends_on": "31-12-2026"}, "ends_on"),
        ({"starts_on": ""}, "starts_on"),
        ({"delegate": ""}, "delegate"),
        ({"delegate": "d" * 81}, "delegate"),
        ({"note": "Dinas luar. " * 50}, "note"),
    ],
)
def test_an_invalid_delegation_is_refused_next_to_its_field(
    client: FlaskClient, users: dict, changes: dict[str, str], field: str
) -> None:
    login(client, "reviewer.6301")
    today = wita_today()
    data = {
        "csrf_token": csrf_token(client, "/delegations"),
        "assignment": str(_assignment("reviewer.6301", "district_reviewer")),
        "delegate": "head.6301",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "note": "Cuti",
        **changes,
    }
    response = client.post("/delegations", data=data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    kept = _kept(response, "delegate")
    for name in ("delegate", "starts_on", "ends_on", "note"):
        assert kept[name] == data[name]
    assert _count(Delegation) == 0


# --- admin ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"short_name": "", "name": "Dinas Lingkungan Hidup"}, "short_name"),
        ({"short_name": "DLHK", "name": ""}, "name"),
        ({"short_name": "D" * 41, "name": "Dinas Lingkungan Hidup"}, "short_name"),
        ({"short_name": "DLHK", "name": "N" * 201}, "name"),
    ],
)
def test_an_invalid_agency_edit_keeps_typed_values_and_changes_nothing(
    admin: FlaskClient, data: dict[str, str], field: str
) -> None:
    agency = factories.agency("6301", "DLH")
    before = (agency.short_name, agency.name)
    token = csrf_token(admin, f"/admin/agencies/{agency.id}")
    response = admin.post(f"/admin/agencies/{agency.id}", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert {k: v for k, v in _kept(response, "short_name").items() if k in data} == data
    db.session.expire_all()
    saved = db.session.get(Agency, agency.id)
    assert (saved.short_name, saved.name) == before


def test_a_too_long_region_seat_is_refused_next_to_the_field(admin: FlaskClient) -> None:
    token = csrf_token(admin, "/admin/regions/6302")
    data = {"name": "Kabupaten Kotabaru", "seat": "S" * 121, "csrf_token": token}
    response = admin.post("/admin/regions/6302", data=data)
    assert response.status_code == 400
    assert 'id="seat-error"' in response.get_data(as_text=True)
    kept = _kept(response, "seat")
    assert (kept["name"], kept["seat"]) == (data["name"], data["seat"])
    db.session.expire_all()
    region = db.session.scalar(select(Region).where(Region.code == "6302"))
    assert (region.name, region.seat) == ("Kotabaru", "Kotabaru")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "N" * 201}, "full_name"),
        ({"email": "x@" + "a" * 250 + ".id"}, "email"),
    ],
)
def test_an_invalid_user_edit_is_refused_next_to_its_field(
    admin: FlaskClient, users: dict, changes: dict[str, str], field: str
) -> None:
    target = users["drafter"]
    before = (target.full_name, target.email, target.language, target.active)
    data = {"full_name": "Budi Santoso", "email": "budi@tanahlautkab.go.id", "language": "en"}
    data |= changes
    token = csrf_token(admin, f"/admin/users/{target.id}")
    response = admin.post(f"/admin/users/{target.id}", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    kept = _kept(response, "full_name")
    assert (kept["full_name"], kept["email"]) == (data["full_name"], data["email"])
    db.session.expire_all()
    saved = db.session.get(User, target.id)
    assert (saved.full_name, saved.email, saved.language, saved.active) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "district_reviewer", "region": "9999"}, "region"),  # not a region
        ({"role": "district_reviewer"}, "region"),
        ({"region": "6302"}, "role"),
    ],
)
def test_an_invalid_role_form_keeps_the_choice_and_adds_nothing(
    admin: FlaskClient, users: dict, data: dict[str, str], field: str
) -> None:
    target = users["other_drafter"]
    token = csrf_token(admin, f"/admin/users/{target.id}")
    response = admin.post(f"/admin/users/{target.id}/roles", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    kept = _kept(response, "role")
    for name, value in data.items():
        if name != field:
            assert kept[name] == value
    db.session.expire_all()
    assert [(a.role, a.region.code) for a in db.session.get(User, target.id).roles] == [
        ("district_drafter", "6304")
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"note": "Keputusan Gubernur. " * 11}, "note"),
        ({"kind": "libur_panjang"}, "kind"),
        ({"day": "2026-02-30"}, "day"),
    ],
)
def test_an_invalid_calendar_change_is_refused_next_to_its_field(
    admin: FlaskClient, changes: dict[str, str], field: str
) -> None:
    data = {"day": "2026-03-17", "kind": "holiday", "note": "Cuti bersama daerah", **changes}
    token = csrf_token(admin, "/admin/calendar?year=2026")
    response = admin.post("/admin/calendar/overrides", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    kept = _kept(response, "note")
    assert (kept["day"], kept["note"]) == (data["day"], data["note"])
    assert _count(CalendarOverride) == 0


# --- NUL characters -------------------------------------------------------------------------
# PostgreSQL refuses NUL in text (psycopg raises DataError before the query is sent), so a
# NUL that reached the database would be a 500 there. Every form drops it (forms_base.py).


def test_a_nul_in_a_review_comment_does_not_reach_the_database(app_ctx: Flask, users: dict) -> None:
    plan = factories.plan_in_state(users, "district_review")
    client = app_ctx.test_client()
    login(client, "reviewer.6301")
    data = {"csrf_token": csrf_token(client, f"/plans/{plan.id}"), "item_type": "plan"}
    response = client.post(f"/plans/{plan.id}/comments", data={**data, "body": "Catatan\x00"})
    assert response.status_code == 303
    assert db.session.scalars(select(ReviewComment.body)).all() == ["Catatan"]


def test_a_nul_in_an_action_comment_does_not_reach_the_database(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    client = app_ctx.test_client()
    login(client, "reviewer.6301")
    data = {"csrf_token": csrf_token(client, f"/plans/{plan.id}"), "trigger": "return"}
    data |= {"version": str(_snapshot(plan.id)[1]), "comment": "Lengkapi\x00 baseline"}
    response = client.post(f"/plans/{plan.id}/transition", data=data)
    assert response.status_code == 303
    comments = db.session.scalars(select(CaseTransition.comment)).all()
    assert "Lengkapi baseline" in comments
    assert all("\x00" not in (comment or "") for comment in comments)


def test_a_nul_in_an_admin_form_does_not_reach_the_database(admin: FlaskClient) -> None:
    token = csrf_token(admin, "/admin/regions/6302")
    data = {"name": "Kotabaru\x00", "seat": "Kotabaru", "csrf_token": token}
    response = admin.post("/admin/regions/6302", data=data)
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.scalars(select(Region.name).where(Region.code == "6302")).one() == "Kotabaru"
