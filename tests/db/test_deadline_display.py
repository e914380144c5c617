"""What users see of deadlines: the plan page and "my tasks" show the due time in WITA with
the working days left, "today", or the working days overdue; my tasks put the earliest due
first and plans without a deadline last; the calendar is read once per page, not per plan."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.db.test_scheduling import MONDAY, Clock, wita
from tests.statements import statements_of_a_get
from workflow_app.accounts.models import User
from workflow_app.deadlines.display import DueStatus, due_status
from workflow_app.deadlines.models import CalendarOverride
from workflow_app.engine.calendar import WorkingCalendar
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.unit_of_work import unit_of_work

CALENDAR = WorkingCalendar()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, MONDAY)


@pytest.fixture
def readers(users: dict) -> dict[str, User]:
    """A district reviewer of 6301 reading in English (msgids, whatever the catalogue says)."""
    people = {
        "reviewer_en": factories.user("reviewer.en", ("district_reviewer", "6301"), language="en")
    }
    db.session.commit()
    return people


def client_as(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def page(app: Flask, username: str, url: str) -> str:
    response = client_as(app, username).get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


DUE_RE = re.compile(
    r'<span class="due due-(?P<status>\w+)"[^>]*data-working-days="(?P<days>-?\d+)">'
    r'<time datetime="(?P<iso>[^"]+)">(?P<when>[^<]*)</time>(?:<br>|\s)*'
    r'<strong class="due-left">(?P<left>[^<]*)</strong>'
)


def due_on_plan_page(app: Flask, username: str, plan: ActionPlan) -> dict[str, str] | None:
    text = page(app, username, f"/plans/{plan.id}")
    match = DUE_RE.search(text)
    return match.groupdict() if match else None


def submitted(users: dict, clock: Clock, at: datetime = MONDAY) -> ActionPlan:
    clock.set(at)
    plan = factories.complete_plan(users["drafter"])
    with unit_of_work():
        ops.transition(users["drafter"], plan, "submit")
    return plan


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wita(date(2026, 3, 3)), ("ahead", 4)),  # Wed, Thu, Fri, Mon
        (wita(date(2026, 3, 6), 17), ("ahead", 1)),  # Friday evening
        (wita(date(2026, 3, 7)), ("ahead", 1)),  # Saturday: Monday is the next working day
        (wita(date(2026, 3, 9), 7), ("today", 0)),  # before the hour
        (wita(date(2026, 3, 9), 18), ("today", 0)),  # after it, the same day
        (wita(date(2026, 3, 10)), ("overdue", 1)),
        (wita(date(2026, 3, 13)), ("overdue", 4)),
        (wita(date(2026, 3, 14)), ("overdue", 4)),  # a Saturday adds nothing
        (wita(date(2026, 3, 25)), ("overdue", 7)),  # Nyepi and Idul Fitri add nothing
    ],
)
def test_due_status_counts_working_days_between_wita_dates(
    now: datetime, expected: tuple[str, int]
) -> None:
    due = wita(date(2026, 3, 9), 10)
    status = due_status(due.astimezone(UTC), now.astimezone(UTC), CALENDAR)
    assert (status.status, status.working_days) == expected
    assert status.signed_days == {"ahead": 1, "today": 0, "overdue": -1}[expected[0]] * expected[1]


def test_a_deadline_passed_on_friday_is_overdue_on_saturday() -> None:
    status = due_status(wita(date(2026, 3, 6), 10), wita(date(2026, 3, 7), 9), CALENDAR)
    assert (status.status, status.working_days) == ("overdue", 1)


def test_the_wita_date_decides_today() -> None:
    # Due Monday 9 March 10.00 WITA. 16.30 UTC on Sunday 8 March is already 00.30 WITA on
    # Monday: due today, though in UTC it is still the day before.
    due = wita(date(2026, 3, 9), 10)
    status = due_status(due, datetime(2026, 3, 8, 16, 30, tzinfo=UTC), CALENDAR)
    assert status == DueStatus(due, "today", 0)
    assert status.due_at_wita.hour == 10


# --- the plan page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "status", "days", "left"),
    [
        (wita(date(2026, 3, 3)), "ahead", "4", "4 working days left"),
        (wita(date(2026, 3, 6)), "ahead", "1", "1 working day left"),
        (wita(date(2026, 3, 9), 16), "today", "0", "today"),
        (wita(date(2026, 3, 10)), "overdue", "-1", "overdue by 1 working day"),
        (wita(date(2026, 3, 12)), "overdue", "-3", "overdue by 3 working days"),
    ],
)
def test_the_plan_page_shows_the_due_time_and_the_working_days_left_or_overdue(
    app_ctx: Flask,
    users: dict,
    readers: dict,
    clock: Clock,
    now: datetime,
    status: str,
    days: str,
    left: str,
) -> None:
    plan = submitted(users, clock)
    clock.set(now)

    due = due_on_plan_page(app_ctx, "reviewer.en", plan)

    assert due is not None
    assert (due["status"], due["days"], due["left"]) == (status, days, left)
    assert due["when"] == "9 March 2026 10.00 WITA"
    assert datetime.fromisoformat(due["iso"]) == wita(date(2026, 3, 9))


def test_the_due_time_is_shown_in_wita(
    app_ctx: Flask, users: dict, readers: dict, clock: Clock
) -> None:
    # 23.30 UTC on Sunday 1 March is 07.30 WITA on Monday 2 March.
    plan = submitted(users, clock, at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))

    due = due_on_plan_page(app_ctx, "reviewer.en", plan)

    assert due is not None and due["when"] == "9 March 2026 07.30 WITA"
    assert due["iso"].endswith("+08:00")


def test_an_indonesian_reader_sees_the_indonesian_date(
    app_ctx: Flask, users: dict, clock: Clock
) -> None:
    plan = submitted(users, clock)
    clock.set(wita(date(2026, 3, 3)))

    due = due_on_plan_page(app_ctx, "reviewer.6301", plan)

    assert due is not None
    assert (due["when"], due["days"]) == ("9 Maret 2026 10.00 WITA", "4")


def test_the_holidays_inside_the_window_count_on_the_page(
    app_ctx: Flask, users: dict, readers: dict, clock: Clock
) -> None:
    # Submitted Monday 16 March: due Monday 30 March, after Nyepi and Idul Fitri.
    plan = submitted(users, clock, at=wita(date(2026, 3, 16)))
    clock.set(wita(date(2026, 3, 17)))

    due = due_on_plan_page(app_ctx, "reviewer.en", plan)

    assert due is not None
    assert (due["when"], due["left"]) == ("30 March 2026 10.00 WITA", "4 working days left")


def test_a_day_off_declared_later_shortens_the_days_left_shown(
    app_ctx: Flask, users: dict, readers: dict, clock: Clock
) -> None:
    plan = submitted(users, clock)
    clock.set(wita(date(2026, 3, 3)))
    db.session.add(CalendarOverride(day=date(2026, 3, 5), is_holiday=True, note="Banjir"))
    db.session.commit()

    due = due_on_plan_page(app_ctx, "reviewer.en", plan)

    # The due time stays as scheduled; one working day fewer lies before it.
    assert due is not None
    assert (due["when"], due["left"]) == ("9 March 2026 10.00 WITA", "3 working days left")


@pytest.mark.parametrize("state", ["draft", "approved", "closed"])
def test_a_plan_without_deadline_shows_none(
    app_ctx: Flask, users: dict, readers: dict, state: str
) -> None:
    plan = factories.plan_in_state(users, state)
    text = page(app_ctx, "reviewer.en", f"/plans/{plan.id}")
    assert 'class="due' not in text
    assert 'id="due"' not in text


# --- my tasks -----------------------------------------------------------------------------


def task_rows(text: str) -> list[tuple[int, dict[str, str] | None]]:
    rows = re.findall(r'<tr id="task-(\d+)">(.*?)</tr>', text, re.S)
    result = []
    for plan_id, row in rows:
        match = DUE_RE.search(row)
        result.append((int(plan_id), match.groupdict() if match else None))
    return result


def test_my_tasks_show_each_due_time_and_the_days_left(
    app_ctx: Flask, users: dict, readers: dict, clock: Clock
) -> None:
    late = submitted(users, clock, at=wita(date(2026, 2, 23)))  # due Monday 2 March
    soon = submitted(users, clock, at=wita(date(2026, 3, 2)))  # due Monday 9 March
    clock.set(wita(date(2026, 3, 4), 9))

    rows = task_rows(page(app_ctx, "reviewer.en", "/tasks"))

    assert [(plan_id, due["when"], due["left"]) for plan_id, due in rows if due] == [
        (late.id, "2 March 2026 10.00 WITA", "overdue by 2 working days"),
        (soon.id, "9 March 2026 10.00 WITA", "3 working days left"),
    ]
    assert [due["status"] for _, due in rows if due] == ["overdue", "ahead"]


def test_my_tasks_put_the_earliest_due_first_and_plans_without_deadline_last(
    app_ctx: Flask, users: dict, readers: dict, clock: Clock
) -> None:
    drafter, reviewer = users["drafter"], users["reviewer"]

    def returned(at: datetime) -> ActionPlan:
        clock.set(at)
        plan = factories.complete_plan(drafter)
        with unit_of_work():
            ops.transition(drafter, plan, "submit")
            ops.transition(reviewer, plan, "return", comment="Perbaiki")
        return plan

    clock.set(wita(date(2026, 3, 2)))
    oldest_draft = factories.complete_plan(drafter)
    db.session.commit()
    # Returned late on Saturday evening: counts from Monday 9 March 08.00, due 30 March 08.00.
    saturday = returned(wita(date(2026, 3, 7), 20))
    # Returned on Monday at 07.00, after it waited less: due 30 March 07.00, an hour earlier.
    monday = returned(wita(date(2026, 3, 9), 7))
    clock.set(wita(date(2026, 3, 10)))
    newer_draft = factories.complete_plan(drafter)
    db.session.commit()
    clock.set(wita(date(2026, 3, 11)))

    rows = task_rows(page(app_ctx, "drafter.6301", "/tasks"))

    assert [plan_id for plan_id, _ in rows] == [
        monday.id,
        saturday.id,
        oldest_draft.id,
        newer_draft.id,
    ]
    assert [due["when"] if due else None for _, due in rows] == [
        "30 Maret 2026 07.00 WITA",
        "30 Maret 2026 08.00 WITA",
        None,
        None,
    ]


# --- the calendar is read once per page ---------------------------------------------------


def calendar_reads(app: Flask, username: str, url: str) -> int:
    client = client_as(app, username)
    statements = statements_of_a_get(app, client, url)
    return sum("FROM calendar_override" in statement for statement in statements)


def test_my_tasks_read_the_calendar_once_for_many_plans(
    app_ctx: Flask, users: dict, clock: Clock
) -> None:
    plans = [submitted(users, clock) for _ in range(5)]
    clock.set(wita(date(2026, 3, 4)))

    assert len(task_rows(page(app_ctx, "reviewer.6301", "/tasks"))) == len(plans)
    assert calendar_reads(app_ctx, "reviewer.6301", "/tasks") == 1
    assert calendar_reads(app_ctx, "reviewer.6301", f"/plans/{plans[0].id}") == 1


def test_a_page_without_deadlines_does_not_read_the_calendar(app_ctx: Flask, users: dict) -> None:
    factories.plan_in_state(users, "draft")
    assert calendar_reads(app_ctx, "drafter.6301", "/tasks") == 0
