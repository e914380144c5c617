"""Admin pages for users: only admins reach them; accounts are created, edited, disabled and
given new passwords; roles are added within their scope rules and removed; an admin cannot
lock themselves out."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import csrf_token, login
from workflow_app.accounts.models import RoleAssignment, User
from workflow_app.extensions import db

NEW_PASSWORD = "sandi-baru-yang-panjang"


def _user(username: str) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return user


def _roles(username: str) -> set[tuple[str, str]]:
    return {(a.role, a.region.code) for a in _user(username).roles}


@pytest.fixture
def admin(client: FlaskClient, users: dict[str, User]) -> FlaskClient:
    login(client, "admin")
    return client


def _post(client: FlaskClient, url: str, data: dict[str, object]) -> object:
    token = csrf_token(client, "/admin/users/new")
    return client.post(url, data={**data, "csrf_token": token})


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/admin/users{query}")
    assert response.status_code == 200
    return re.findall(r'data-username="([^"]+)"', response.get_data(as_text=True))


def _can_log_in(app: Flask, username: str, password: str) -> int:
    """The status of a login through the form in a fresh browser (302 = logged in)."""
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    response = browser.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return response.status_code


# --- access -----------------------------------------------------------------------------

PAGES = ["/admin/users", "/admin/users/new", "/admin/regions", "/admin/agencies"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_login(client: FlaskClient, users: dict, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("username", ["drafter.6301", "provincial.63", "mitra.demo"])
def test_other_roles_get_403(client: FlaskClient, users: dict, url: str, username: str) -> None:
    login(client, username)
    assert client.get(url).status_code == 403


def test_other_roles_cannot_create_users_or_grant_roles(
    client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, "head.63")
    token = csrf_token(client, "/account")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "intruder",
            "full_name": "Intruder",
            "email": "x@example.test",
            "language": "id",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    target = users["drafter"].id
    response = client.post(
        f"/admin/users/{target}/roles",
        data={"csrf_token": token, "role": "admin", "region": "63"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.username == "intruder")) is None
    assert ("admin", "63") not in _roles("drafter.6301")


def test_a_post_without_csrf_token_changes_nothing(admin: FlaskClient, users: dict) -> None:
    target = users["drafter"].id
    response = admin.post(
        f"/admin/users/{target}",
        data={"full_name": "Changed", "email": "c@example.test", "language": "en"},
    )
    assert response.status_code == 400
    assert _user("drafter.6301").full_name != "Changed"


# --- list and search --------------------------------------------------------------------


def test_list_searches_by_username_or_name_and_filters_by_region_and_role(
    admin: FlaskClient,
) -> None:
    assert len(_listed(admin)) == 9
    assert _listed(admin, "?q=DRAFTER") == ["drafter.6301", "drafter.6304"]
    assert _listed(admin, "?q=mitra+demo") == ["mitra.demo"]  # the full name "Mitra Demo"
    assert _listed(admin, "?q=%25") == []  # a wildcard character is searched literally
    assert _listed(admin, "?region=6304") == ["drafter.6304", "reviewer.6304"]
    assert _listed(admin, "?role=district_reviewer") == ["reviewer.6301", "reviewer.6304"]
    assert _listed(admin, "?role=district_reviewer&region=6301") == ["reviewer.6301"]
    assert _listed(admin, "?role=partner&region=6301&q=mitra") == ["mitra.demo"]


# --- create -----------------------------------------------------------------------------


def _new_user_data(**changes: str) -> dict[str, str]:
    data = {
        "username": "reviewer.6302",
        "full_name": "Siti Rahmah",
        "email": "siti@kotabarukab.go.id",
        "language": "en",
        "password": NEW_PASSWORD,
    }
    data.update(changes)
    return data


def test_admin_creates_a_user_who_can_then_log_in(app: Flask, admin: FlaskClient) -> None:
    response = _post(admin, "/admin/users/new", _new_user_data())
    assert response.status_code == 302
    created = _user("reviewer.6302")
    assert response.headers["Location"] == f"/admin/users/{created.id}"
    assert (created.full_name, created.email, created.language) == (
        "Siti Rahmah",
        "siti@kotabarukab.go.id",
        "en",
    )
    assert created.active and created.roles == []
    assert NEW_PASSWORD not in created.password_hash
    assert created.check_password(NEW_PASSWORD)
    assert _can_log_in(app, "reviewer.6302", NEW_PASSWORD) == 302
    assert "reviewer.6302" in _listed(admin)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "too-short"}, "password"),
        ({"username": "drafter.6301"}, "username"),  # taken
        ({"username": "Drafter.6301"}, "username"),  # taken, whatever the case
        ({"username": "has space"}, "username"),
        ({"email": "not-an-address"}, "email"),
        ({"full_name": ""}, "full_name"),
        ({"language": "fr"}, "language"),
    ],
)
def test_an_invalid_new_user_is_not_saved_and_the_form_keeps_its_values(
    admin: FlaskClient, changes: dict[str, str], field: str
) -> None:
    before = db.session.scalar(select(db.func.count(User.id)))
    data = _new_user_data(**changes)
    response = _post(admin, "/admin/users/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    for kept in ("username", "full_name", "email"):
        assert f'value="{html.escape(data[kept])}"' in page
    assert db.session.scalar(select(db.func.count(User.id))) == before


# --- edit, disable, password -------------------------------------------------------------


def _edit_data(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": user.full_name,
        "email": user.email,
        "language": user.language,
        "active": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_edits_name_email_and_language(admin: FlaskClient, users: dict) -> None:
    target = users["drafter"]
    data = _edit_data(target, full_name="Budi Santoso", email="budi@tanahlautkab.go.id")
    data["language"] = "en"
    response = _post(admin, f"/admin/users/{target.id}", data)
    assert response.status_code == 302
    edited = _user("drafter.6301")
    assert (edited.full_name, edited.email, edited.language) == (
        "Budi Santoso",
        "budi@tanahlautkab.go.id",
        "en",
    )
    assert edited.active


def test_an_invalid_edit_keeps_the_typed_values(admin: FlaskClient, users: dict) -> None:
    target = users["drafter"]
    data = _edit_data(target, full_name="Nama Baru", email="no-at-sign")
    response = _post(admin, f"/admin/users/{target.id}", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="Nama Baru"' in page and 'value="no-at-sign"' in page
    assert _user("drafter.6301").full_name != "Nama Baru"


def test_a_disabled_user_cannot_log_in_and_keeps_their_account(
    app: Flask, admin: FlaskClient, users: dict
) -> None:
    target = users["drafter"]
    # A browser where the drafter is logged in already.
    drafter_browser = app.test_client()
    login(drafter_browser, "drafter.6301")
    assert drafter_browser.get("/tasks").status_code == 200

    response = _post(admin, f"/admin/users/{target.id}", _edit_data(target, active=None))
    assert response.status_code == 302
    disabled = _user("drafter.6301")
    assert not disabled.active
    assert _roles("drafter.6301") == {("district_drafter", "6301")}  # nothing else removed

    assert _can_log_in(app, "drafter.6301", "uji-coba-sandi-2026") == 403
    assert drafter_browser.get("/tasks").status_code == 302  # the open session ends too
    assert "drafter.6301" in _listed(admin)

    # Enabled again, they can log in.
    _post(admin, f"/admin/users/{target.id}", _edit_data(disabled))
    assert _user("drafter.6301").active
    assert _can_log_in(app, "drafter.6301", "uji-coba-sandi-2026") == 302


def test_admin_sets_a_new_password(app: Flask, admin: FlaskClient, users: dict) -> None:
    target = users["reviewer"].id
    response = _post(admin, f"/admin/users/{target}/password", {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _can_log_in(app, "reviewer.6301", NEW_PASSWORD) == 302
    assert _can_log_in(app, "reviewer.6301", "uji-coba-sandi-2026") == 400


def test_a_too_short_new_password_is_refused(app: Flask, admin: FlaskClient, users: dict) -> None:
    target = users["reviewer"].id
    response = _post(admin, f"/admin/users/{target}/password", {"password": "pendek"})
    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert _can_log_in(app, "reviewer.6301", "uji-coba-sandi-2026") == 302


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region", "allowed"),
    [
        ("district_drafter", "6302", True),
        ("district_reviewer", "6372", True),
        ("district_head", "63", False),  # district roles need a district
        ("district_drafter", "63", False),
        ("provincial_reviewer", "63", True),
        ("provincial_head", "6301", False),  # provincial roles only in the province
        ("partner", "6304", True),
        ("partner", "63", True),
        ("admin", "63", True),
        ("admin", "6301", False),
        ("mayor", "6301", False),  # not a role at all
    ],
)
def test_role_assignments_follow_the_scope_rules(
    admin: FlaskClient, users: dict, role: str, region: str, allowed: bool
) -> None:
    target = users["other_drafter"]
    before = _roles(target.username)
    response = _post(admin, f"/admin/users/{target.id}/roles", {"role": role, "region": region})
    if allowed:
        assert response.status_code == 302
        assert _roles(target.username) == before | {(role, region)}
    else:
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert 'id="region-error"' in page or 'id="role-error"' in page
        assert _roles(target.username) == before


def test_the_same_role_twice_in_a_region_is_refused(admin: FlaskClient, users: dict) -> None:
    target = users["drafter"]
    data = {"role": "district_drafter", "region": "6301"}
    response = _post(admin, f"/admin/users/{target.id}/roles", data)
    assert response.status_code == 400
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert len(_user("drafter.6301").roles) == 1


def test_a_new_role_gives_access_and_removing_it_takes_it_away(
    app: Flask, admin: FlaskClient, users: dict
) -> None:
    target = users["drafter"]
    _post(admin, f"/admin/users/{target.id}/roles", {"role": "admin", "region": "63"})
    browser = app.test_client()
    login(browser, "drafter.6301")
    assert browser.get("/admin/users").status_code == 200

    assignment = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == target.id, RoleAssignment.role == "admin"
        )
    )
    response = _post(admin, f"/admin/users/{target.id}/roles/{assignment.id}/delete", {})
    assert response.status_code == 302
    assert _roles("drafter.6301") == {("district_drafter", "6301")}
    assert browser.get("/admin/users").status_code == 403


# --- self-protection --------------------------------------------------------------------


def test_the_admin_cannot_disable_themselves(admin: FlaskClient, users: dict) -> None:
    me = users["admin"]
    response = _post(admin, f"/admin/users/{me.id}", _edit_data(me, active=None))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'id="refusal"' in page and 'id="active-error"' in page
    assert _user("admin").active
    assert admin.get("/admin/users").status_code == 200


def test_the_admin_cannot_remove_their_own_admin_role(admin: FlaskClient, users: dict) -> None:
    me = users["admin"]
    own = me.roles[0]
    response = _post(admin, f"/admin/users/{me.id}/roles/{own.id}/delete", {})
    assert response.status_code == 403
    assert 'id="refusal"' in response.get_data(as_text=True)
    assert _roles("admin") == {("admin", "63")}
    assert admin.get("/admin/users").status_code == 200


def test_the_admin_may_remove_another_admins_role_and_their_own_other_roles(
    admin: FlaskClient, users: dict
) -> None:
    me = users["admin"]
    _post(admin, f"/admin/users/{me.id}/roles", {"role": "partner", "region": "6301"})
    partner = next(a for a in _user("admin").roles if a.role == "partner")
    response = _post(admin, f"/admin/users/{me.id}/roles/{partner.id}/delete", {})
    assert response.status_code == 302
    assert _roles("admin") == {("admin", "63")}

    other = users["provincial"]
    _post(admin, f"/admin/users/{other.id}/roles", {"role": "admin", "region": "63"})
    granted = next(a for a in _user("provincial.63").roles if a.role == "admin")
    response = _post(admin, f"/admin/users/{other.id}/roles/{granted.id}/delete", {})
    assert response.status_code == 302
    assert _roles("provincial.63") == {("provincial_reviewer", "63")}
