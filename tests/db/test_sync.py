"""The provincial sync workspace: who may open it, what it shows for several districts, its
flags and totals, and a query count that does not grow with the number of plans."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import signed_in
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan


def _page(client: FlaskClient, url: str = "/sync") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def _district_users(users: dict[str, User], code: str) -> dict[str, User]:
    """The `users` dict with a drafter and a reviewer of district `code` in their places."""
    if code == "6301":
        return users
    if code == "6304":
        return dict(users, drafter=users["other_drafter"], reviewer=users["other_reviewer"])
    drafter = db.session.scalar(select(User).where(User.username == f"drafter.{code}"))
    if drafter is None:
        drafter = factories.user(f"drafter.{code}", ("district_drafter", code))
        factories.user(f"reviewer.{code}", ("district_reviewer", code))
    reviewer = db.session.scalar(select(User).where(User.username == f"reviewer.{code}"))
    return dict(users, drafter=drafter, reviewer=reviewer)


def _plan(users: dict[str, User], code: str, state: str = "draft") -> ActionPlan:
    return factories.plan_in_state(_district_users(users, code), state, code)


def _add_activity(
    plan: ActionPlan, drafter: User, *, type_: str, location: str, funding: list[tuple]
) -> None:
    ops.add_activity(
        drafter,
        plan,
        expected_version=None,
        data=ops.ActivityData(
            sub_sector="wastewater",
            activity_type=type_,
            title=f"{type_} {location}",
            location=location,
            volume=Decimal(1),
            unit="unit",
            agency_id=factories.agency(plan.region.code).id,
            start_year=2026,
            end_year=2027,
            funding=[ops.FundingData(year=y, source=s, amount=a) for y, s, a in funding],
        ),
    )


def _row(page: str, code: str) -> str:
    match = re.search(rf'<tr id="row-{code}".*?</tr>', page, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def _section(page: str, code: str) -> str:
    match = re.search(
        rf'<section class="card sync-district" id="district-{code}".*?</section>', page, re.S
    )
    assert match, f"no section for {code}"
    return match.group(0)


def _flag_kinds(section: str) -> list[str]:
    return re.findall(r'<li class="flag" data-kind="([a-z_]+)"', section)


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["provincial.63", "head.63", "admin"])
def test_provincial_roles_and_admins_open_the_workspace(app_ctx, users, username) -> None:
    client = signed_in(app_ctx, username)
    page = _page(client)
    assert 'id="nav-sync"' in page
    assert 'id="row-6301"' in page


@pytest.mark.parametrize(
    "username", ["drafter.6301", "reviewer.6301", "head.6301", "mitra.demo", "drafter.6304"]
)
def test_other_roles_are_refused(app_ctx, users, username) -> None:
    client = signed_in(app_ctx, username)
    assert client.get("/sync").status_code == 403
    assert 'id="nav-sync"' not in _page(client, "/plans")


def test_anonymous_visitors_are_sent_to_the_login_page(app_ctx) -> None:
    response = app_ctx.test_client().get("/sync")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- content ---------------------------------------------------------------------------


@pytest.fixture
def spread(users) -> dict[str, ActionPlan]:
    """Latest plans of four districts in different states; one district has only a withdrawn
    plan, and 6301 has an older plan (of the previous period) beside its latest one."""
    older = factories.plan_in_state(users, "approved", "6301", period=(2020, 2024))
    plans = {
        "older_6301": older,
        "6301": _plan(users, "6301", "provincial_sync"),
        "6304": _plan(users, "6304", "returned"),
        "6371": _plan(users, "6371", "draft"),
        "6303": _plan(users, "6303", "district_review"),
        "withdrawn_6302": _plan(users, "6302", "withdrawn"),
    }
    drafter = _district_users(users, "6371")["drafter"]
    _add_activity(
        plans["6371"],
        drafter,
        type_="spald_t",
        location="Banjarmasin Utara",
        funding=[(2026, "apbn", 2_500_000_000), (2027, "dak", 500_000_000)],
    )
    db.session.commit()
    return plans


def test_every_district_is_listed_with_its_latest_plan(app_ctx, users, spread) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"))
    rows = re.findall(
        r'<tr id="row-(\d+)" data-region="\d+" data-plan="(\d*)" data-state="(\w+)"', page
    )
    assert len(rows) == 13
    by_code = {code: (plan_id, state) for code, plan_id, state in rows}
    assert by_code["6301"] == (str(spread["6301"].id), "provincial_sync")  # not the older one
    assert by_code["6304"] == (str(spread["6304"].id), "returned")
    assert by_code["6371"] == (str(spread["6371"].id), "draft")
    assert by_code["6303"] == (str(spread["6303"].id), "district_review")
    assert by_code["6302"] == ("", "none")  # only a withdrawn plan: no plan yet
    assert by_code["6305"] == ("", "none")
    assert f'href="/plans/{spread["6301"].id}"' in _row(page, "6301")
    assert "Sinkronisasi Provinsi" in _row(page, "6301")
    # A plan under review shows when it is due.
    assert 'class="due due-' in _row(page, "6303")


def test_the_state_filter_narrows_the_districts(app_ctx, users, spread) -> None:
    client = signed_in(app_ctx, "provincial.63")
    page = _page(client, "/sync?state=returned")
    assert re.findall(r'<tr id="row-(\d+)"', page) == ["6304"]
    nothing = _page(client, "/sync?state=none")
    assert "6301" not in re.findall(r'<tr id="row-(\d+)"', nothing)
    assert len(re.findall(r'<tr id="row-(\d+)"', nothing)) == 9


def _amount(page: str, pattern: str) -> int:
    match = re.search(pattern, page, re.S)
    assert match, pattern
    return int(match.group(1))


def test_funding_totals_add_up(app_ctx, users, spread) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"))
    # Each complete plan has APBD Kab 2026 Rp850.000.000; 6371 adds APBN and DAK.
    table = re.search(
        r'<table class="funding-totals" id="funding-by-source-year">.*?</table>', page, re.S
    ).group(0)
    apbd = re.search(r'<tr data-source="apbd_district">.*?</tr>', table, re.S).group(0)
    assert _amount(apbd, r'data-year="2026" data-amount="(\d+)"') == 4 * 850_000_000
    apbn = re.search(r'<tr data-source="apbn">.*?</tr>', table, re.S).group(0)
    assert _amount(apbn, r'data-year="2026" data-amount="(\d+)"') == 2_500_000_000
    assert (
        _amount(table, r'class="num year-total" data-year="2027" data-amount="(\d+)"')
        == 500_000_000
    )
    grand = 4 * 850_000_000 + 2_500_000_000 + 500_000_000
    assert _amount(table, r'class="num grand-total" data-amount="(\d+)"') == grand
    assert "Rp" + f"{grand:,}".replace(",", ".") in table
    by_district = re.search(r'id="funding-by-district">.*?</table>', page, re.S).group(0)
    totals = [
        int(n) for n in re.findall(r'class="num district-total" data-amount="(\d+)"', by_district)
    ]
    assert sum(totals) == grand
    assert "Rp3.850.000.000" in _row(page, "6371")


def test_each_district_shows_its_trajectory_chart_and_numbers(app_ctx, users, spread) -> None:
    page = _page(signed_in(app_ctx, "provincial.63"))
    section = _section(page, "6304")
    assert section.count("<svg") == 1
    assert 'class="trajectory-chart"' in section and 'class="national-target"' in section
    assert "<script" not in page and "http://" not in section.replace(
        "http://www.w3.org/2000/svg", ""
    )
    numbers = re.findall(
        r'<tr data-year="(\d+)"><th scope="row">\d+</th><td class="num" data-value="([\d.]+)"',
        section,
    )
    assert [(int(y), Decimal(v)) for y, v in numbers] == [
        (year, Decimal(3 * (year - 2023))) for year in range(2025, 2030)
    ]
    assert 'data-value="6.00"' in section  # the baseline


def test_flags_fire_on_a_crafted_plan_and_not_on_a_clean_one(app_ctx, users) -> None:
    clean = _plan(users, "6301", "draft")
    crafted = _plan(users, "6304", "draft")
    drafter = users["other_drafter"]
    _add_activity(crafted, drafter, type_="iplt", location="Marabahan", funding=[])
    _add_activity(
        crafted, drafter, type_="lltt", location="  PELAIHARI ", funding=[(2026, "dak", 10)]
    )
    ops.replace_indicators(
        drafter,
        crafted,
        expected_version=None,
        indicators=[
            ops.IndicatorData(
                name="% Rumah Tangga dengan Akses SANITASI AMAN",
                unit="%",
                baseline_year=2024,
                baseline_value=Decimal("10"),
                targets={
                    2025: Decimal(8),
                    2026: Decimal(12),
                    2027: Decimal(11),
                    2028: Decimal(14),
                    2029: Decimal(16),
                },
            )
        ],
    )
    db.session.commit()
    page = _page(signed_in(app_ctx, "provincial.63"))
    assert _flag_kinds(_section(page, "6301")) == []
    assert 'data-flags="0"' in _row(page, "6301")
    kinds = _flag_kinds(_section(page, "6304"))
    assert sorted(kinds) == sorted(["unfunded", "below_baseline", "below_previous", "duplicate"])
    assert 'data-flags="4"' in _row(page, "6304")
    # The unfunded activity links to its row on the plan page.
    iplt = next(a for a in crafted.activities if a.activity_type == "iplt")
    assert f'href="/plans/{crafted.id}#activity-{iplt.id}"' in _section(page, "6304")
    # The indicator matched case-insensitively: its trajectory is charted.
    assert 'class="trajectory-chart"' in _section(page, "6304")
    assert clean.id != crafted.id


# --- queries ----------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_plans(app_ctx, users) -> None:
    _plan(users, "6301", "district_review")
    _plan(users, "6304", "draft")
    client = signed_in(app_ctx, "provincial.63")
    two = len(statements_of_a_get(app_ctx, client, "/sync"))

    for code in ("6303", "6305", "6371", "6372"):
        plan = _plan(users, code, "draft")
        _add_activity(
            plan,
            _district_users(users, code)["drafter"],
            type_="lltt",
            location="Pelaihari",
            funding=[(2026, "csr", 5), (2027, "apbn", 7)],
        )
    db.session.commit()
    six = len(statements_of_a_get(app_ctx, client, "/sync"))

    assert six == two


# --- the plan page's workflow diagram ----------------------------------------------------


def test_the_plan_page_draws_its_workflow_with_the_current_state_marked(app_ctx, users) -> None:
    plan = _plan(users, "6301", "returned")
    page = _page(signed_in(app_ctx, "drafter.6301"), f"/plans/{plan.id}")
    svg = re.search(r"<svg [^>]*class=\"workflow-diagram\".*?</svg>", page, re.S).group(0)
    assert re.search(
        r'data-state="returned" role="listitem" aria-label="[^"]+" aria-current="step"', svg
    )
    assert svg.count('aria-current="step"') == 1
    # The text alternative names the current state too.
    assert re.search(r'<li data-state="returned" aria-current="step"', page)
