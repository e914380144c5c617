"""Landing and navigation: each role lands where its work is (bound to ROLE_WORKSPACES, not to
role names in code); the Plt/Plh menu only for whom it concerns; a drafter whose district has
no plan is offered to create one; reloading the address of a refused action shows the case,
not "405"; the admin mailbox dates in Indonesian and WITA; a favicon and a skip link."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import csrf_token, login, signed_in
from workflow_app import create_app
from workflow_app.accounts.models import User
from workflow_app.config import ConfigurationError
from workflow_app.extensions import db
from workflow_app.notifications.mailer import write_eml
from workflow_app.plans.models import ActionPlan


def _path(response: TestResponse) -> str:
    return urlsplit(response.headers["Location"]).path


def _landing(app: Flask, username: str) -> str:
    client = app.test_client()
    login(client, username)
    return _path(client.get("/"))


# --- where each role lands ------------------------------------------------------------------


def test_each_role_lands_where_its_work_is(app_ctx: Flask, users: dict[str, User]) -> None:
    landings = {
        username: _landing(app_ctx, username)
        for username in (
            "drafter.6301",
            "reviewer.6301",
            "head.6301",
            "provincial.63",
            "head.63",
            "admin",
            "mitra.demo",
        )
    }

    assert landings == {
        "drafter.6301": "/tasks",
        "reviewer.6301": "/tasks",
        "head.6301": "/tasks",
        "provincial.63": "/tasks",
        # The province head oversees: the provincial overview. The admin administers; the
        # partner reads the published figures.
        "head.63": "/dashboard",
        "admin": "/admin/",
        "mitra.demo": "/dashboard",
    }


def test_the_login_form_itself_leads_to_the_workspace_unless_next_says_where(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    client = app_ctx.test_client()
    token = csrf_token(client)
    data = {"username": "admin", "password": factories.PASSWORD, "csrf_token": token}
    assert _path(client.post("/login", data=data)) == "/admin/"

    other = app_ctx.test_client()
    data["csrf_token"] = csrf_token(other)
    answer = other.post("/login", query_string={"next": "/plans"}, data=data)
    assert _path(answer) == "/plans"


def test_work_waiting_comes_first_for_someone_holding_several_roles(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    factories.user("both.6301", ("admin", "63"), ("district_drafter", "6301"))
    factories.user("overseer.63", ("partner", "6301"), ("provincial_head", "63"))
    db.session.commit()

    assert _landing(app_ctx, "both.6301") == "/tasks"
    assert _landing(app_ctx, "overseer.63") == "/dashboard"


def test_the_landing_follows_the_configuration_not_the_role_names(
    app_ctx: Flask, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        app_ctx.config, "ROLE_WORKSPACES", {"provincial_reviewer": "sync", "admin": "dashboard"}
    )

    assert _landing(app_ctx, "provincial.63") == "/sync"
    assert _landing(app_ctx, "admin") == "/dashboard"
    assert _landing(app_ctx, "head.63") == "/tasks"


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"ROLE_WORKSPACES": {"partner": "nowhere"}}, "unknown workspace 'nowhere'"),
        ({"ROLE_WORKSPACES": {"no_such_role": "dashboard"}}, "unknown role 'no_such_role'"),
        ({"DEFAULT_WORKSPACE": "inbox-zero"}, "unknown workspace 'inbox-zero'"),
    ],
)
def test_a_workspace_setting_naming_nothing_known_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: dict, named: str
) -> None:
    monkeypatch.setenv("WORKFLOW_APP_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}",
        "WORKFLOWS_VERIFY_AT_STARTUP": False,
        **setting,
    }
    with pytest.raises(ConfigurationError, match=re.escape(named)):
        create_app(config)


# --- the Plt/Plh menu -------------------------------------------------------------------------


def test_the_acting_officials_menu_only_for_whom_it_concerns(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    menu = 'href="/delegations"'

    def has_menu(username: str) -> bool:
        return menu in signed_in(app_ctx, username).get("/plans").get_data(as_text=True)

    # A partner holds no role the definitions declare delegable: nothing to hand over.
    assert not has_menu("mitra.demo")
    assert has_menu("drafter.6301")
    assert has_menu("head.63")
    assert has_menu("admin")  # manages every delegation


# --- a drafter whose district has no plan ---------------------------------------------------


def test_a_drafter_whose_district_has_no_plan_is_offered_to_create_one(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    page = signed_in(app_ctx, "drafter.6301").get("/tasks").get_data(as_text=True)
    assert re.search(r'<a [^>]*id="create-plan" href="/plans/new"', page)
    assert "Tanah Laut" in page

    # Only the creator role is offered it, and only where no plan is live.
    for username in ("reviewer.6301", "provincial.63", "mitra.demo"):
        page = signed_in(app_ctx, username).get("/tasks").get_data(as_text=True)
        assert 'id="create-plan"' not in page, username
    factories.complete_plan(users["drafter"])
    db.session.commit()
    page = signed_in(app_ctx, "drafter.6301").get("/tasks").get_data(as_text=True)
    assert 'id="create-plan"' not in page


def test_a_district_whose_plans_all_ended_is_offered_a_new_one(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    factories.plan_in_state(users, "withdrawn")

    page = signed_in(app_ctx, "drafter.6301").get("/tasks").get_data(as_text=True)
    assert 'id="create-plan"' in page


# --- reloading the address of an action --------------------------------------------------------


def test_reloading_a_refused_action_shows_the_plan_not_405(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    plan = factories.plan_in_state(users, "draft")
    client = signed_in(app_ctx, "reviewer.6301")
    url = f"/plans/{plan.id}/transition"

    refused = client.post(
        url, data={"trigger": "submit", "csrf_token": csrf_token(client, "/tasks")}
    )
    # The refusal is the plan's page, at the action's own address.
    assert refused.status_code in (400, 403, 409)
    assert plan.title in refused.get_data(as_text=True)

    reloaded = client.get(url)
    assert reloaded.status_code == 302
    assert _path(reloaded) == f"/plans/{plan.id}"
    assert client.get(url, follow_redirects=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(ActionPlan, plan.id).state == "draft"  # a GET does nothing


def test_reloading_any_action_of_a_case_shows_its_page(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    _plan, report = factories.monitored_plan_with_report(users)
    proposal = factories.dak_proposal(users["drafter"])
    plan = factories.plan_in_state(users, "draft")
    db.session.commit()
    client = signed_in(app_ctx, "drafter.6301")

    expected = {
        f"/plans/{plan.id}/comments": f"/plans/{plan.id}",
        f"/plans/{plan.id}/comments/1/replies": f"/plans/{plan.id}",
        f"/plans/{plan.id}/activities/{plan.activities[0].id}/delete": f"/plans/{plan.id}",
        f"/reports/{report.id}/transition": f"/reports/{report.id}",
        f"/reports/{report.id}/attachments": f"/reports/{report.id}",
        f"/cases/dak_sanitation/{proposal.id}/transition": f"/cases/dak_sanitation/{proposal.id}",
        f"/cases/dak_sanitation/{proposal.id}/sign-off": f"/cases/dak_sanitation/{proposal.id}",
        "/delegations/1/end": "/delegations",
        "/account/tokens/1/revoke": "/account/tokens",
        "/notifications/read": "/notifications",
    }
    for url, page in expected.items():
        answer = client.get(url)
        assert (answer.status_code, _path(answer)) == (302, page), url
    # Anonymous visitors go the same way, and on to the login page.
    assert _path(app_ctx.test_client().get(f"/plans/{plan.id}/transition")) == f"/plans/{plan.id}"
    # Logging out stays a POST.
    assert client.get("/logout").status_code == 405


# --- the admin mailbox --------------------------------------------------------------------------


@pytest.fixture
def mailbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded profile's mailbox, in a folder of this test's own."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "mailbox"


def test_the_mailbox_shows_dates_in_indonesian_and_wita(
    app_ctx: Flask, users: dict[str, User], mailbox: Path
) -> None:
    raw = (
        b"From: no-reply@example.org\r\nTo: reviewer.6301@example.test\r\n"
        b"Subject: [Rencana Aksi] Tanah Laut\r\nDate: Sat, 05 Dec 2026 03:08:00 +0000\r\n"
        b"X-Workflow-Outbox-Id: 7\r\n\r\nIsi\r\n"
    )
    name = write_eml(mailbox, raw, 7).name
    admin = signed_in(app_ctx, "admin")

    listing = admin.get("/admin/mailbox").get_data(as_text=True)
    assert "5 Desember 2026 11.08 WITA" in listing
    assert "Sat, 05 Dec 2026" not in listing
    message = admin.get(f"/admin/mailbox/{name}").get_data(as_text=True)
    assert re.search(r'<p class="mail-date">.*5 Desember 2026 11\.08 WITA', message)


# --- favicon and skip link ----------------------------------------------------------------------


def test_every_page_links_a_favicon_served_by_the_app_and_a_skip_link(
    app_ctx: Flask, users: dict[str, User]
) -> None:
    client: FlaskClient = signed_in(app_ctx, "drafter.6301")
    for page in (client.get("/tasks"), app_ctx.test_client().get("/login")):
        html = page.get_data(as_text=True)
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', html)
        assert icon, "no favicon link"
        assert re.search(r'<a class="skip-link" href="#main">', html)
        assert '<main id="main"' in html
    served = client.get(icon.group(1))
    assert served.status_code == 200
    assert served.mimetype == "image/svg+xml"
    assert b"<svg" in served.get_data()
