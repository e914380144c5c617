"""Emails reach acting officials (Plt/Plh): whoever acts for a role holder today gets the
holder's emails — on a transition and from the escalation sweep — and nobody does once the
delegation is over, ended early or its delegator lost the role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import delete, select

from tests import factories
from tests.db.test_scheduling import MONDAY, wita
from workflow_app.accounts import delegations as dops
from workflow_app.accounts.models import Delegation, RoleAssignment, User
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

REVIEWER = "district_reviewer"
REMINDER = wita(date(2026, 3, 6))  # the reminder of a plan submitted on MONDAY (2 March)


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _on(day: date) -> time_machine.travel:
    return _at(datetime.combine(day, time(9, 0), tzinfo=MONDAY.tzinfo))


def _delegate(
    holder: User, delegate: User, first: date, last: date, code: str = "6301"
) -> Delegation:
    """`holder` hands their reviewer role in `code` to `delegate` for first..last (WITA)."""
    delegation = dops.create_delegation(
        holder,
        delegator=holder,
        delegate=delegate,
        role=REVIEWER,
        region=factories.regions()[code],
        starts_on=first,
        ends_on=last,
    )
    db.session.commit()
    return delegation


@pytest.fixture
def plt(users: dict) -> User:
    """A colleague in 6301 (a drafter there) who may stand in for its reviewer."""
    account = factories.user("staf.6301", ("district_drafter", "6301"))
    db.session.commit()
    return account


def _submit(users: dict) -> ActionPlan:
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    return plan


def _mailed(event: str) -> list[str]:
    """The recipients of the outbox rows of `event`, in order."""
    rows = db.session.scalars(
        select(Notification).where(Notification.event == event).order_by(Notification.id)
    )
    return [row.recipient.username for row in rows]


def test_a_submitted_plan_emails_the_reviewer_and_their_acting_official(users, plt) -> None:
    with _at(MONDAY):
        _delegate(users["reviewer"], plt, MONDAY.date(), MONDAY.date() + timedelta(days=3))
        _submit(users)

    assert sorted(_mailed("submit")) == ["reviewer.6301", "staf.6301"]


def test_the_acting_official_of_another_district_gets_nothing(users) -> None:
    with _at(MONDAY):
        _delegate(
            users["other_reviewer"], users["other_drafter"], MONDAY.date(), MONDAY.date(), "6304"
        )
        _submit(users)

    assert _mailed("submit") == ["reviewer.6301"]


def _expired(users: dict, plt: User) -> None:
    with _on(date(2026, 2, 20)):
        _delegate(users["reviewer"], plt, date(2026, 2, 20), date(2026, 2, 27))


def _not_started(users: dict, plt: User) -> None:
    _delegate(users["reviewer"], plt, MONDAY.date() + timedelta(days=1), date(2026, 3, 10))


def _ended_early(users: dict, plt: User) -> None:
    delegation = _delegate(users["reviewer"], plt, MONDAY.date(), date(2026, 3, 10))
    with unit_of_work():
        dops.end_delegation(users["reviewer"], delegation)


def _delegate_disabled(users: dict, plt: User) -> None:
    _delegate(users["reviewer"], plt, MONDAY.date(), date(2026, 3, 10))
    plt.active = False
    db.session.commit()


@pytest.mark.parametrize(
    "arrange", [_expired, _not_started, _ended_early, _delegate_disabled], ids=lambda f: f.__name__
)
def test_no_email_outside_an_active_delegation(
    users, plt, arrange: Callable[[dict, User], None]
) -> None:
    with _at(MONDAY):
        arrange(users, plt)
        _submit(users)

    assert _mailed("submit") == ["reviewer.6301"]


def test_a_delegator_who_lost_the_role_takes_it_from_the_delegate(users, plt) -> None:
    with _at(MONDAY):
        _delegate(users["reviewer"], plt, MONDAY.date(), date(2026, 3, 10))
        db.session.execute(
            delete(RoleAssignment).where(RoleAssignment.user_id == users["reviewer"].id)
        )
        db.session.commit()
        _submit(users)

    assert _mailed("submit") == []


def test_an_acting_official_who_also_holds_an_informed_role_gets_one_email(users) -> None:
    """The head acts as reviewer; an approval informs drafter, reviewer and head."""
    with _at(MONDAY):
        _delegate(users["reviewer"], users["head"], MONDAY.date(), date(2026, 3, 10))
        plan = factories.plan_in_state(users, "provincial_sync")
        with unit_of_work():
            ops.transition(users["provincial"], plan, "approve")

    assert sorted(_mailed("approve")) == ["drafter.6301", "head.6301", "reviewer.6301"]


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        (date(2026, 3, 10), ["reviewer.6301", "staf.6301"]),
        (date(2026, 3, 5), ["reviewer.6301"]),  # over the day before the reminder
    ],
    ids=["active", "expired"],
)
def test_the_sweep_reminds_the_acting_official_too(
    users, plt, last_day: date, expected: list[str]
) -> None:
    with _at(MONDAY):
        _delegate(users["reviewer"], plt, MONDAY.date(), last_day)
        plan = _submit(users)

    with _at(REMINDER):
        fired = run_sweep(REMINDER)

    assert [(f.subject_id, f.step, sorted(f.recipients)) for f in fired] == [
        (plan.id, "reminder", expected)
    ]
    assert sorted(_mailed("reminder")) == expected
