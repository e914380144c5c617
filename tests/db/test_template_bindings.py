"""Pages bind to what the definitions declare, never to a state's or role's name: the state
badge's tone, the "New plan" button and the navigation's sync and admin links."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import signed_in
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import Delegation, User, wita_today
from workflow_app.extensions import db
from workflow_app.templating import state_tone
from workflow_app.workflows import PLAN_WORKFLOW, REPORT_WORKFLOW, registry


@dataclass
class _Case:
    workflow_name: str
    workflow_version: int
    state: str


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _tones(name: str) -> dict[str, str]:
    definition = registry().latest(name)
    return {
        state: state_tone(_Case(definition.name, definition.version, state))
        for state in definition.states
    }


def test_badge_tones_keep_the_shipped_look(app_ctx) -> None:
    # The colours the badges had when the stylesheet named the states.
    assert _tones(PLAN_WORKFLOW) == {
        "draft": "start",
        "district_review": "review",
        "provincial_sync": "review",
        "returned": "rework",
        "approved": "agreed",
        "monitored": "agreed",
        "closed": "ended",
        "withdrawn": "ended",
    }
    assert _tones(REPORT_WORKFLOW) == {
        "due": "due",
        "submitted": "review",
        "returned": "rework",
        "verified": "agreed",
    }


def test_the_badge_carries_its_tone_and_state(app_ctx, users) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    page = _page(signed_in(app_ctx, "drafter.6301"), f"/plans/{plan.id}")
    assert '<span class="badge tone-start" data-state="draft">Draf</span>' in page
    stylesheet = app_ctx.test_client().get("/static/app.css").get_data(as_text=True)
    assert ".tone-start" in stylesheet
    assert not re.search(r"\.state-[a-z]", stylesheet), "a style bound to a state's name"


def _delegate(delegator: User, delegate: User, role: str, code: str) -> None:
    today = wita_today()
    dops.create_delegation(
        delegator,
        delegator=delegator,
        delegate=delegate,
        role=role,
        region=factories.regions()[code],
        starts_on=today,
        ends_on=today + timedelta(days=3),
        note="Cuti tahunan",
    )
    db.session.commit()


def _stored_delegation(delegator: User, delegate: User, role: str, code: str) -> None:
    """A delegation stored as one made before the rules of issue 14 could be (a provincial
    role handed to a district official): the links follow the acting grant, however it was
    made."""
    today = wita_today()
    db.session.add(
        Delegation(
            delegator_id=delegator.id,
            delegate_id=delegate.id,
            role=role,
            region_id=factories.regions()[code].id,
            starts_on=today,
            ends_on=today + timedelta(days=3),
        )
    )
    db.session.commit()


@pytest.fixture
def plt(users) -> User:
    """A reviewer of 6301: an official there who may stand in for its drafter."""
    account = factories.user("staf.plt", ("district_reviewer", "6301"))
    db.session.commit()
    return account


def test_an_acting_drafter_is_offered_a_new_plan_where_they_may_create_one(
    app_ctx, users, plt
) -> None:
    client = signed_in(app_ctx, plt.username)
    assert 'id="new-plan"' not in _page(client, "/plans")
    _page(client, "/plans/new", 403)

    _delegate(users["drafter"], plt, "district_drafter", "6301")
    assert 'id="new-plan"' in _page(client, "/plans")
    assert "Tanah Laut" in _page(client, "/plans/new")


def test_an_acting_provincial_reviewer_sees_the_sync_link_and_opens_it(app_ctx, users, plt) -> None:
    client = signed_in(app_ctx, plt.username)
    assert 'id="nav-sync"' not in _page(client, "/plans")
    _page(client, "/sync", 403)

    _stored_delegation(users["provincial"], plt, "provincial_reviewer", "63")
    assert 'id="nav-sync"' in _page(client, "/plans")
    _page(client, "/sync")


@pytest.mark.parametrize(
    ("username", "sync", "admin"),
    [
        ("drafter.6301", False, False),
        ("reviewer.6301", False, False),
        ("mitra.demo", False, False),
        ("provincial.63", True, False),
        ("head.63", True, False),
        ("admin", True, True),
    ],
)
def test_navigation_links_follow_the_pages_access_rules(
    app_ctx, users, username, sync, admin
) -> None:
    client = signed_in(app_ctx, username)
    page = _page(client, "/plans")
    assert ('id="nav-sync"' in page) is sync
    assert ('href="/admin/"' in page) is admin
    assert client.get("/sync").status_code == (200 if sync else 403)
    assert client.get("/admin/").status_code == (200 if admin else 403)
