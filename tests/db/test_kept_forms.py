"""Typed work survives the end of a session: a form sent after an idle timeout, a logout in
another tab or a login ended elsewhere, or with a CSRF token that no longer matches, saves
nothing, keeps what was typed for the user whose session it was, and gives it back in the
form once they are logged in again; never to anyone else, and never submitted by itself."""

from __future__ import annotations

import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, login
from tests.db.test_views_editing import activity_fields, form_on, forms_of, fresh, said
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.pending_forms.models import PendingForm
from workflow_app.plans.models import ActionPlan, Activity

TYPED = "Rencana Aksi Sanitasi Aman Tanah Laut 2025–2029 (revisi setelah rapat Pokja)"
# What a browser sends with a form posted from a page of the site.
SITE = "http://localhost"
SESSION_BACK = "Your session had ended; what you typed is back: check it and save again."


@pytest.fixture
def timeouts(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 12)


@pytest.fixture
def plan(users: dict) -> ActionPlan:
    created = factories.complete_plan(users["drafter"], title="Rencana Aksi Tanah Laut")
    db.session.commit()
    return created


def _idle_for(client: FlaskClient, minutes: int) -> None:
    with client.session_transaction() as session:
        session["_seen_at"] = int(time.time()) - minutes * 60


def _send(client: FlaskClient, url: str, fields: dict[str, str], **headers: str):
    """POST `fields` as the browser would from the page `url` of this site."""
    return client.post(url, data=fields, headers={"Origin": SITE, "Referer": SITE + url, **headers})


def _typed_header(client: FlaskClient, url: str) -> dict[str, str]:
    fields = form_on(client, url)
    fields["title"] = TYPED
    return fields


def _log_in_at(client: FlaskClient, location: str, username: str) -> str:
    """Log in on the login page `location` (with its `next`); where the login leads."""
    token = csrf_token(client, location)
    response = client.post(
        location,
        data={"username": username, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def _title_field(page: str) -> str:
    form = next(f for f in forms_of(page) if "title" in f["fields"])
    return form["fields"]["title"]  # type: ignore[index]


def _kept() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingForm)) or 0


def test_a_form_sent_after_the_idle_timeout_comes_back_after_logging_in(
    app, users, plan, client, timeouts
) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    _idle_for(client, 31)

    refused = _send(client, url, fields)

    assert refused.status_code == 303
    location = refused.headers["Location"]
    assert urlsplit(location).path == "/login"
    assert parse_qs(urlsplit(location).query)["next"] == [url]
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"  # nothing saved
    assert said("What you typed was not saved, but it is not lost: log in to get it back.") in (
        _page(client, location)
    )

    assert _log_in_at(client, location, "drafter.6301") == url
    page = _page(client, url)

    assert _title_field(page) == TYPED
    assert said(SESSION_BACK) in page
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"  # shown again, not submitted
    # Saved with the fresh token of the page, it is stored; it came back only once.
    resent = dict(next(f for f in forms_of(page) if "title" in f["fields"])["fields"])
    assert client.post(url, data=resent).status_code == 303
    assert fresh(plan.id).title == TYPED
    assert _title_field(_page(client, url)) == TYPED
    assert _kept() == 0


def test_an_expired_form_token_shows_the_form_again_with_what_was_typed(
    app, users, plan, client
) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    # Logged out and in again in another tab: the open form's token no longer matches.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})
    login(client, "drafter.6301")

    refused = _send(client, url, fields)

    assert refused.status_code == 303
    assert refused.headers["Location"] == url
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"
    page = _page(client, url)
    assert _title_field(page) == TYPED
    assert said("This form had expired, so nothing was saved.") in page
    assert said("What you typed is back: check it and save again.") in page
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"


def test_the_way_back_never_leaves_the_site(app, users, plan, client) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})
    login(client, "drafter.6301")

    refused = client.post(
        url, data=fields, headers={"Origin": SITE, "Referer": SITE + "//evil.example/x"}
    )

    assert refused.status_code == 303
    assert refused.headers["Location"] == url  # the form's own page, not //evil.example


def test_a_logout_in_another_tab_keeps_the_open_form(app, users, plan, client) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tasks")})

    refused = _send(client, url, fields)

    assert refused.status_code == 303
    assert _log_in_at(client, refused.headers["Location"], "drafter.6301") == url
    assert _title_field(_page(client, url)) == TYPED
    assert fresh(plan.id).title == "Rencana Aksi Tanah Laut"


def test_a_login_ended_from_another_browser_keeps_the_open_form(app, users, plan) -> None:
    url = f"/plans/{plan.id}/edit"
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "drafter.6301")
    fields = _typed_header(laptop, url)
    login(phone, "drafter.6301")
    phone.post("/logout", data={"csrf_token": csrf_token(phone, "/tasks")})  # everywhere

    refused = _send(laptop, url, fields)

    assert refused.status_code == 303
    assert _log_in_at(laptop, refused.headers["Location"], "drafter.6301") == url
    assert _title_field(_page(laptop, url)) == TYPED
    # The phone, logged in again, holds no key to it.
    login(phone, "drafter.6301")
    assert _title_field(_page(phone, url)) == "Rencana Aksi Tanah Laut"


def test_another_user_logging_in_on_that_browser_does_not_get_it(
    app, users, plan, client, timeouts
) -> None:
    factories.user("drafter2.6301", ("district_drafter", "6301"))
    db.session.commit()
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    _idle_for(client, 31)
    refused = _send(client, url, fields)
    assert refused.status_code == 303

    assert _log_in_at(client, refused.headers["Location"], "drafter2.6301") == url
    page = _page(client, url)

    assert _title_field(page) == "Rencana Aksi Tanah Laut"
    assert said(SESSION_BACK) not in page
    # Nor when they log out and the owner logs in on another browser.
    elsewhere = app.test_client()
    login(elsewhere, "drafter.6301")
    assert _title_field(_page(elsewhere, url)) == "Rencana Aksi Tanah Laut"


def test_the_owner_no_longer_allowed_to_edit_gets_nothing_back(
    app, users, plan, client, timeouts
) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    _idle_for(client, 31)
    refused = _send(client, url, fields)
    drafter = db.session.get(User, users["drafter"].id)
    drafter.roles.clear()  # the district role was taken away meanwhile
    db.session.commit()

    _log_in_at(client, refused.headers["Location"], "drafter.6301")
    response = client.get(url)

    assert response.status_code in (403, 404)
    assert TYPED not in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Referer": "https://evil.example/form"},
        {"Sec-Fetch-Site": "cross-site", "Origin": SITE},
        {"Origin": "null"},
    ],
    ids=["other origin", "cross-site fetch", "opaque origin"],
)
def test_a_post_from_another_site_is_never_kept(
    app, users, plan, client, timeouts, headers: dict[str, str]
) -> None:
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    _idle_for(client, 31)

    refused = client.post(url, data=fields, headers=headers)

    assert refused.status_code == 303
    assert refused.headers["Location"] == "/login"
    assert _kept() == 0


def test_passwords_are_never_kept(app, users, client, timeouts) -> None:
    login(client, "drafter.6301")
    token = csrf_token(client, "/account/password")
    _idle_for(client, 31)

    refused = _send(
        client,
        "/account/password",
        {
            "csrf_token": token,
            "current_password": factories.PASSWORD,
            "new_password": "sandi baru yang panjang 2026",
            "confirm": "sandi baru yang panjang 2026",
        },
    )

    assert refused.status_code == 303
    assert _kept() == 0


def test_a_comment_typed_for_one_action_comes_back_in_that_action_only(
    app, users, client, timeouts
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    url = f"/plans/{plan.id}"
    login(client, "reviewer.6301")
    forms = forms_of(_page(client, url))
    action = next(f for f in forms if f["id"] == "action-return")
    fields = {**action["fields"], "comment": "Baseline 2024 belum bersumber: lengkapi."}
    _idle_for(client, 31)

    refused = client.post(
        str(action["action"]), data=fields, headers={"Origin": SITE, "Referer": SITE + url}
    )

    assert refused.status_code == 303
    assert _log_in_at(client, refused.headers["Location"], "reviewer.6301") == url
    forms = forms_of(_page(client, url))
    comments = {f["id"]: f["fields"].get("comment") for f in forms if "comment" in f["fields"]}
    assert comments["action-return"] == "Baseline 2024 belum bersumber: lengkapi."
    assert all(text == "" for key, text in comments.items() if key != "action-return")
    assert fresh(plan.id).state == "district_review"  # not returned by itself


def test_an_activity_with_added_funding_rows_comes_back_whole(
    app, users, plan, client, timeouts
) -> None:
    url = f"/plans/{plan.id}/activities/new"
    login(client, "drafter.6301")
    fields = activity_fields(client, plan)
    added = client.post(url, data={**fields, "add_row": "1"})  # a second funding row
    fields = dict(forms_of(unescape(added.get_data(as_text=True)))[-1]["fields"])
    fields.update(
        {"funding-1-year": "2027", "funding-1-source": "swadaya", "funding-1-amount": "750.000"}
    )
    activities = db.session.scalar(select(func.count()).select_from(Activity))
    _idle_for(client, 31)

    refused = _send(client, url, {**fields, "save": "1"})

    assert _log_in_at(client, refused.headers["Location"], "drafter.6301") == url
    page = _page(client, url)
    shown = next(f for f in forms_of(page) if f["id"] == "activity-form")["fields"]
    typed = {key: value for key, value in fields.items() if key != "csrf_token"}
    assert {key: shown.get(key) for key in typed} == typed  # type: ignore[union-attr]
    assert db.session.scalar(select(func.count()).select_from(Activity)) == activities


def test_a_kept_form_expires(app, users, plan, client, timeouts, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "PENDING_FORM_MINUTES", 0)
    url = f"/plans/{plan.id}/edit"
    login(client, "drafter.6301")
    fields = _typed_header(client, url)
    _idle_for(client, 31)
    refused = _send(client, url, fields)

    _log_in_at(client, refused.headers["Location"], "drafter.6301")

    assert _title_field(_page(client, url)) == "Rencana Aksi Tanah Laut"
