"""Who may be made an acting official (Plt/Plh), from when, for how long, and how many at once
(issue 14): an active official of the same office, from today (WITA) at the earliest, for at
most DELEGATION_MAX_DAYS, and one acting official per role and region whoever appoints them.
The concurrent case is in test_delegation_race_pg.py."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, signed_in
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import Delegation, RoleAssignment, User, wita_today
from workflow_app.accounts.system import system_user
from workflow_app.extensions import db
from workflow_app.unit_of_work import unit_of_work

REVIEWER = "district_reviewer"


def _delegate(
    delegate: User | None,
    *,
    delegator: User,
    role: str = REVIEWER,
    code: str = "6301",
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Delegation:
    """`delegator` hands `role` in `code` to `delegate` (default: today to three days on),
    in English so that a refusal's words can be read."""
    today = wita_today()
    with force_locale("en"):
        delegation = dops.create_delegation(
            delegator,
            delegator=delegator,
            delegate=delegate,
            role=role,
            region=factories.regions()[code],
            starts_on=starts_on or today,
            ends_on=ends_on or today + timedelta(days=3),
        )
    db.session.commit()
    return delegation


def _refusal(delegate: User | None, **values: object) -> dict[str, list[str]]:
    with pytest.raises(dops.DelegationRejected) as refused:
        _delegate(delegate, **values)  # type: ignore[arg-type]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Delegation.id))) == 0
    return refused.value.errors


def _count() -> int:
    return int(db.session.scalar(select(func.count(Delegation.id))) or 0)


# --- to whom ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("partner", ["Tanah Laut", "partner", "cannot stand in"]),
        ("other_drafter", ["no role in Tanah Laut"]),
        ("admin", ["no role in Tanah Laut"]),
        ("nobody", ["no role in Tanah Laut"]),
        ("disabled", ["disabled"]),
        ("system", ["system account"]),
        ("reviewer", ["its own holder"]),
        ("second_reviewer", ["already holds the role"]),
    ],
)
def test_only_an_active_official_of_the_same_district_may_stand_in(
    users, who: str, words: list[str]
) -> None:
    delegates = {
        "nobody": lambda: factories.user("staf.tanpa.peran"),
        "disabled": lambda: _disabled(
            factories.user("nonaktif.6301", ("district_drafter", "6301"))
        ),
        "system": system_user,
        "second_reviewer": lambda: factories.user("reviewer2.6301", (REVIEWER, "6301")),
    }
    delegate = delegates[who]() if who in delegates else users[who]
    db.session.commit()
    errors = _refusal(delegate, delegator=users["reviewer"])
    assert list(errors) == ["delegate"]
    for word in words:
        assert word in errors["delegate"][0], errors


def _disabled(user: User) -> User:
    user.active = False
    return user


def test_a_colleague_holding_another_officials_role_there_may_stand_in(users) -> None:
    delegation = _delegate(users["drafter"], delegator=users["reviewer"])
    assert (delegation.delegate_id, delegation.role) == (users["drafter"].id, REVIEWER)


def test_a_provincial_role_goes_only_to_an_official_of_the_province(users) -> None:
    """A district official (of a district of the province, even) may not act for the
    province; the provincial head may act as its reviewer."""
    provincial = {"delegator": users["provincial"], "role": "provincial_reviewer", "code": "63"}
    errors = _refusal(users["drafter"], **provincial)
    assert "no role in Kalimantan Selatan" in errors["delegate"][0]
    delegation = _delegate(users["provincial_head"], **provincial)
    assert delegation.delegate_id == users["provincial_head"].id


def test_a_role_held_only_as_partner_in_the_province_does_not_count(users) -> None:
    partner = factories.user("mitra.provinsi", ("partner", "63"))
    db.session.commit()
    errors = _refusal(partner, delegator=users["provincial"], role="provincial_reviewer", code="63")
    assert "cannot stand in" in errors["delegate"][0]


# --- when and how long --------------------------------------------------------------------


def test_the_first_day_is_today_in_wita_or_later(users) -> None:
    # 00:30 in Makassar on 2 March is still 1 March in UTC: "today" is the WITA date.
    with time_machine.travel(datetime(2026, 3, 1, 16, 30, tzinfo=UTC), tick=False):
        assert wita_today() == date(2026, 3, 2)
        errors = _refusal(
            users["drafter"],
            delegator=users["reviewer"],
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 5),
        )
        assert list(errors) == ["starts_on"]
        assert "before today" in errors["starts_on"][0]
        delegation = _delegate(
            users["drafter"],
            delegator=users["reviewer"],
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 5),
        )
    assert delegation.starts_on == date(2026, 3, 2)


def test_a_delegation_lasts_at_most_ninety_days_by_default(app_ctx: Flask, users) -> None:
    today = wita_today()
    assert app_ctx.config["DELEGATION_MAX_DAYS"] == 90
    errors = _refusal(
        users["drafter"],
        delegator=users["reviewer"],
        starts_on=today,
        ends_on=today + timedelta(days=90),  # 91 days, both ends included
    )
    assert list(errors) == ["ends_on"]
    assert "at most 90 days" in errors["ends_on"][0]
    delegation = _delegate(
        users["drafter"],
        delegator=users["reviewer"],
        starts_on=today,
        ends_on=today + timedelta(days=89),
    )
    assert delegation.ends_on == today + timedelta(days=89)


def test_the_longest_delegation_is_configurable(
    app_ctx: Flask, users, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app_ctx.config, "DELEGATION_MAX_DAYS", 14)
    start = wita_today() + timedelta(days=7)
    errors = _refusal(
        users["drafter"],
        delegator=users["reviewer"],
        starts_on=start,
        ends_on=start + timedelta(days=14),
    )
    assert "at most 14 days" in errors["ends_on"][0]
    _delegate(
        users["drafter"],
        delegator=users["reviewer"],
        starts_on=start,
        ends_on=start + timedelta(days=13),
    )


# --- one acting official per role and region ----------------------------------------------


@pytest.fixture
def two_reviewers(users) -> Iterator[tuple[User, User]]:
    """The district's reviewer and a second holder of the same role there."""
    second = factories.user("reviewer2.6301", (REVIEWER, "6301"))
    db.session.commit()
    yield users["reviewer"], second


def test_a_second_acting_reviewer_is_refused_whoever_appoints_them(users, two_reviewers) -> None:
    first_holder, second_holder = two_reviewers
    today = wita_today()
    _delegate(
        users["drafter"],
        delegator=first_holder,
        starts_on=today + timedelta(days=2),
        ends_on=today + timedelta(days=6),
    )
    errors = _refusal_keeping(
        users["head"],
        delegator=second_holder,
        starts_on=today + timedelta(days=6),
        ends_on=today + timedelta(days=10),
    )
    assert list(errors) == ["starts_on"]
    message = errors["starts_on"][0]
    assert "already has an acting official" in message
    assert users["drafter"].full_name in message

    # The day after the first one ends is free; so are another role, and another district.
    _delegate(
        users["head"],
        delegator=second_holder,
        starts_on=today + timedelta(days=7),
        ends_on=today + timedelta(days=10),
    )
    _delegate(users["reviewer"], delegator=users["head"], role="district_head")
    _delegate(users["other_drafter"], delegator=users["other_reviewer"], code="6304")
    assert _count() == 4


def test_an_ended_delegation_no_longer_holds_the_place(users, two_reviewers) -> None:
    first_holder, second_holder = two_reviewers
    first = _delegate(users["drafter"], delegator=first_holder)
    with unit_of_work():
        dops.end_delegation(first_holder, first)
    again = _delegate(users["head"], delegator=second_holder)
    assert again.delegate_id == users["head"].id


def test_a_delegation_whose_holder_lost_the_role_no_longer_holds_the_place(
    users, two_reviewers
) -> None:
    first_holder, second_holder = two_reviewers
    _delegate(users["drafter"], delegator=first_holder)
    db.session.execute(
        RoleAssignment.__table__.delete().where(RoleAssignment.user_id == first_holder.id)
    )
    db.session.commit()
    again = _delegate(users["head"], delegator=second_holder)
    assert again.delegate_id == users["head"].id


def _refusal_keeping(delegate: User, **values: object) -> dict[str, list[str]]:
    """The refusal, leaving the delegations already stored in place."""
    before = _count()
    with pytest.raises(dops.DelegationRejected) as refused:
        _delegate(delegate, **values)  # type: ignore[arg-type]
    db.session.rollback()
    assert _count() == before
    return refused.value.errors


# --- the page -----------------------------------------------------------------------------


def _assignment_of(username: str, role: str) -> int:
    return db.session.scalar(
        select(RoleAssignment.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.username == username, RoleAssignment.role == role)
    )


def _post(app: Flask, data: dict[str, str]) -> tuple[int, str]:
    client = signed_in(app, "reviewer.6301")
    data = {"csrf_token": csrf_token(client, "/delegations"), **data}
    response = client.post("/delegations", data=data)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _error_of(page: str, field: str) -> str:
    start = page.index(f'id="{field}-error"')
    return page[page.index(">", start) + 1 : page.index("</p>", start)]


def test_the_page_shows_each_refusal_on_its_field_and_keeps_what_was_typed(
    app_ctx: Flask, users
) -> None:
    users["reviewer"].language = "en"  # the page in English, so that its words can be read
    db.session.commit()
    today = wita_today()
    first, last = today - timedelta(days=1), today + timedelta(days=120)
    status, page = _post(
        app_ctx,
        {
            "assignment": str(_assignment_of("reviewer.6301", REVIEWER)),
            "delegate": "mitra.demo",
            "starts_on": first.isoformat(),
            "ends_on": last.isoformat(),
            "note": "Cuti besar",
        },
    )
    assert status == 400
    assert "cannot stand in" in _error_of(page, "delegate")
    assert "before today" in _error_of(page, "starts_on")
    assert "at most 90 days" in _error_of(page, "ends_on")
    assert 'value="mitra.demo"' in page and "Cuti besar" in page
    assert f'value="{first.isoformat()}"' in page and f'value="{last.isoformat()}"' in page
    assert _count() == 0


def test_the_page_names_the_acting_official_already_appointed(app_ctx: Flask, users) -> None:
    second = factories.user("reviewer2.6301", (REVIEWER, "6301"))
    users["reviewer"].language = "en"
    db.session.commit()
    _delegate(users["head"], delegator=second)
    today = wita_today()
    status, page = _post(
        app_ctx,
        {
            "assignment": str(_assignment_of("reviewer.6301", REVIEWER)),
            "delegate": "drafter.6301",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=1)).isoformat(),
        },
    )
    assert status == 400
    assert users["head"].full_name in _error_of(page, "starts_on")
    assert 'value="drafter.6301"' in page
    assert _count() == 1
