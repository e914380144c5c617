"""Finding plans on the plans list (issue 15, point 9): a text search across plans and their
activities, filters by year, agency (OPD) and state, inside the user's scope, with the
matching activities named on each row and a clear message for a value that means nothing."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import signed_in
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan, Activity


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _listed(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="plan-(\d+)"', page)}


def _matched(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="match-(\d+)"', page)}


def _activity(plan: ActionPlan, title: str) -> Activity:
    return next(a for a in plan.activities if a.title == title)


def _add_activity(drafter: User, plan: ActionPlan, code: str, **fields: object) -> Activity:
    data = {
        "sub_sector": "wastewater",
        "activity_type": "iplt",
        "title": "Kegiatan",
        "location": "Kabupaten",
        "volume": Decimal(1),
        "unit": "unit",
        "agency_id": factories.agency(code).id,
        "start_year": plan.period_start,
        "end_year": plan.period_start,
        "funding": [
            ops.FundingData(year=plan.period_start, source="apbd_district", amount=1_000_000)
        ],
    }
    data.update(fields)
    ops.add_activity(drafter, plan, expected_version=None, data=ops.ActivityData(**data))
    return plan.activities[-1]


@pytest.fixture
def world(users) -> dict:
    """Tanah Laut (6301): a draft with varied activities (2025–2029) and an approved plan of
    the next period (2030–2034); Barito Kuala (6304): a plan in review whose one activity is
    found by a word no 6301 plan has."""
    varied = factories.plan_with_activities(users["drafter"], title="Rencana Aksi Tala")
    odd = _add_activity(
        users["drafter"],
        varied,
        "6301",
        title="Sosialisasi 100% akses_aman",
        location="Kec. Kurau",
    )
    db.session.commit()
    approved = factories.plan_in_state(users, "approved")
    other_users = dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])
    other = factories.complete_plan(users["other_drafter"], "6304", "Rencana Aksi Batola")
    secret = _add_activity(
        users["other_drafter"], other, "6304", title="IPLT Marabahan", location="Kec. Marabahan"
    )
    db.session.commit()
    ops.transition(other_users["drafter"], other, "submit")
    db.session.commit()
    return {"varied": varied, "approved": approved, "other": other, "secret": secret, "odd": odd}


@pytest.mark.parametrize(
    ("q", "plans", "activity_title"),
    [
        ("rencana aksi tala", {"varied"}, None),  # the plan's title, any case
        ("TANAH laut", {"varied", "approved"}, None),  # the region's name
        ("dinas perkim", {"varied"}, "SPALD-S untuk 300 rumah tangga"),  # the agency's name
        ("ambungan", {"varied"}, "SPALD-S untuk 300 rumah tangga"),  # the location
        ("tpst", {"varied"}, "DED TPST kabupaten"),  # the activity's title
        ("persampahan", {"varied"}, "DED TPST kabupaten"),  # the sub-sector's label
        ("solid_waste", {"varied"}, "DED TPST kabupaten"),  # and its code
    ],
)
def test_the_search_finds_plans_by_what_they_and_their_activities_say(
    app_ctx: Flask, world: dict, q: str, plans: set[str], activity_title: str | None
) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"), f"/plans?q={q}")

    assert _listed(page) == {world[name].id for name in plans}
    if activity_title:
        row = page[page.index(f'id="plan-{world["varied"].id}"') :]
        row = row[: row.index("</tr>")]
        assert _matched(row) == {_activity(world["varied"], activity_title).id}
        assert activity_title in row


def test_percent_and_underscore_are_letters_not_wildcards(app_ctx: Flask, world: dict) -> None:
    client = signed_in(app_ctx, "provincial.63")
    odd = world["odd"].id  # "Sosialisasi 100% akses_aman"

    only_percent = _page(client, "/plans?q=%25")
    assert (_listed(only_percent), _matched(only_percent)) == ({world["varied"].id}, {odd})
    assert _matched(_page(client, "/plans?q=s_a")) == {odd}
    assert _listed(_page(client, "/plans?q=%25%25")) == set()  # would be everything
    assert _listed(_page(client, "/plans?q=a_a_")) == set()  # would be "Tanah Laut" and more


def test_filters_by_year_agency_and_state(app_ctx: Flask, world: dict) -> None:
    client = signed_in(app_ctx, "provincial.63")
    perkim = factories.agency("6301", "Dinas Perkim")

    assert _listed(_page(client, "/plans?year=2027")) == {world["varied"].id, world["other"].id}
    assert _listed(_page(client, "/plans?year=2031")) == {world["approved"].id}
    by_agency = _page(client, f"/plans?agency={perkim.id}")
    assert _listed(by_agency) == {world["varied"].id}
    assert _matched(by_agency) == {_activity(world["varied"], "SPALD-S untuk 300 rumah tangga").id}
    assert _listed(_page(client, "/plans?state=approved")) == {world["approved"].id}
    assert _listed(_page(client, "/plans?q=tanah+laut&state=draft&year=2026")) == {
        world["varied"].id
    }


def test_the_filter_offers_the_agencies_and_states_to_choose_from(
    app_ctx: Flask, world: dict
) -> None:
    page = _page(signed_in(app_ctx, "drafter.6301"), "/plans")

    agencies = re.search(r'<select[^>]*name="agency".*?</select>', page, re.S).group(0)
    assert "Dinas Perkim (Tanah Laut)" in agencies
    assert "Dinas PUPR Provinsi (Kalimantan Selatan)" in agencies
    assert "Barito Kuala" not in agencies  # another district's agencies are not offered
    states = re.search(r'<select[^>]*name="state".*?</select>', page, re.S).group(0)
    assert ">Draf<" in states or ">Draft<" in states


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("agency=999999", "agency"),
        ("agency=x", "agency"),
        ("state=no_such_state", "state"),
        ("region=9999", "region"),
        ("q=" + "a" * 101, "q"),
    ],
)
def test_a_value_that_means_nothing_is_named_and_the_rest_still_applies(
    app_ctx: Flask, world: dict, query: str, field: str
) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"), f"/plans?{query}&state=approved", 400)

    assert 'id="filter-errors"' in page
    assert len(re.findall(rf'id="{field}-error', page)) == 1, f"not one message next to {field}"
    if field != "state":
        assert _listed(page) == {world["approved"].id}


@pytest.mark.parametrize(
    ("username", "q", "visible"),
    [
        ("drafter.6301", "marabahan", set()),  # the other district's activity
        ("drafter.6301", "rencana aksi", {"varied", "approved"}),
        ("drafter.6304", "rencana aksi", {"other"}),
        ("drafter.6304", "ambungan", set()),
        ("mitra.demo", "rencana aksi", {"approved"}),  # a partner: published plans only
        ("mitra.demo", "ambungan", set()),  # nor a draft's activities
    ],
)
def test_the_search_never_reaches_past_the_users_scope(
    app_ctx: Flask, world: dict, username: str, q: str, visible: set[str]
) -> None:
    page = _page(signed_in(app_ctx, username), f"/plans?q={q}")

    assert _listed(page) == {world[name].id for name in visible}
    if "other" not in visible:
        assert world["secret"].id not in _matched(page)


def test_another_districts_agency_cannot_be_chosen(app_ctx: Flask, world: dict) -> None:
    theirs = factories.agency("6304")

    page = _page(signed_in(app_ctx, "drafter.6301"), f"/plans?agency={theirs.id}", 400)

    assert re.search(r'id="agency-error"', page)
    assert world["secret"].id not in _matched(page)
    assert _listed(page) == {world["varied"].id, world["approved"].id}  # the filter left out


def test_a_search_costs_the_same_queries_for_one_result_or_many(app_ctx: Flask, users) -> None:
    perkim = factories.agency("6301", "Dinas Perkim")

    def plan_found() -> None:
        plan = factories.complete_plan(users["drafter"])
        for n in range(3):
            _add_activity(
                users["drafter"], plan, "6301", title=f"SPALD-S rumah {n}", agency_id=perkim.id
            )
        db.session.commit()

    plan_found()
    client = signed_in(app_ctx, "provincial.63")
    urls = ("/plans?q=rumah", f"/plans?agency={perkim.id}", "/plans?q=tanah+laut&year=2026")
    one = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}

    for _ in range(4):
        plan_found()
    many = {url: len(statements_of_a_get(app_ctx, client, url)) for url in urls}

    assert many == one
